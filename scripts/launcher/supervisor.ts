/**
 * One service under `npm start`: its process, its readiness, and what happens when it dies. A crash
 * (a non-zero exit, or a signal other than SIGINT/SIGTERM: systemd's `Restart=on-failure`) is
 * restarted with backoff, so `npm start` rides out a crash as production does; a service that
 * stops cleanly stays stopped, so one can be stopped on purpose while the others run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlannedService } from './launch-plan.ts';
import { RestartBackoff, type RestartPolicy } from './restart-backoff.ts';

export interface SupervisorOptions {
  /** Where the service's entry is resolved from (the repository root). */
  cwd: string;
  /** The whole environment of its process. */
  env: NodeJS.ProcessEnv;
  policy: RestartPolicy;
  /** Shows the process's output (each new process after a restart too). */
  attach(child: ChildProcess): void;
  /** The launcher's own lines: news on stdout, trouble on stderr. */
  say(line: string): void;
  warn(line: string): void;
}

const readinessPollMs = 150;
const readinessTimeoutMs = 2000;
const stopGraceMs = 10_000;

function stoppedOnPurpose(code: number | null, signal: NodeJS.Signals | null): boolean {
  return code === 0 || signal === 'SIGTERM' || signal === 'SIGINT';
}

export class Supervisor {
  /** True once the service first answers its readiness probe; false if it stops or is given up first. */
  readonly firstReady: Promise<boolean>;
  #settleFirstReady: (ready: boolean) => void = () => {};
  #child: ChildProcess | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarted = false;
  #stopping = false;
  readonly #backoff: RestartBackoff;

  constructor(
    private readonly service: PlannedService,
    private readonly options: SupervisorOptions,
  ) {
    this.firstReady = new Promise((resolve) => (this.#settleFirstReady = resolve));
    this.#backoff = new RestartBackoff(options.policy);
  }

  /** Starts the process (again, after a crash). */
  start(): void {
    if (this.#stopping) return;
    const child = spawn(process.execPath, ['--import', 'tsx', this.service.entry], {
      cwd: this.options.cwd,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.options.attach(child);
    child.once('exit', (code, signal) => this.#exited(child, code, signal));
    void this.#awaitReadiness(child);
  }

  /** The service cannot be started at all (its preparation failed). */
  fail(reason: string): void {
    this.options.warn(`${this.service.name} could not start: ${reason}`);
    this.#settleFirstReady(false);
  }

  /** Stops the process (SIGTERM, then SIGKILL after a grace period) and any restart still to come. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    this.#settleFirstReady(false);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  async #awaitReadiness(child: ChildProcess): Promise<void> {
    while (this.#child === child && !this.#stopping) {
      try {
        const response = await fetch(this.service.readinessUrl, { signal: AbortSignal.timeout(readinessTimeoutMs) });
        if (response.ok && this.#child === child) return this.#ready();
      } catch {
        // not listening yet
      }
      await sleep(readinessPollMs);
    }
  }

  #ready(): void {
    this.#backoff.ready();
    this.#settleFirstReady(true);
    if (this.#restarted) this.options.say(`${this.service.name} is ready again.`);
    this.#restarted = false;
  }

  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    if (this.#stopping) return;
    const name = this.service.name;
    const how = signal ?? code;
    if (stoppedOnPurpose(code, signal)) {
      this.options.warn(`${name} exited (${how}); the other services keep running.`);
      this.#settleFirstReady(false);
      return;
    }
    const next = this.#backoff.crashed();
    if (!next.restart) {
      this.options.warn(
        `${name} exited (${how}), ${next.crashesBeforeReady} times in a row before becoming ready: giving up on it.`,
      );
      this.#settleFirstReady(false);
      return;
    }
    this.options.warn(`${name} exited (${how}); restarting it in ${next.delayMs / 1000} s.`);
    this.#restarted = true;
    this.#restartTimer = setTimeout(() => this.start(), next.delayMs);
  }
}
