import { spawn, type ChildProcess } from 'node:child_process';
import { repositoryRoot } from '@usher/platform';
import { inheritedEnvironment } from './test-environment.ts';

/**
 * A service as its clients meet it: a separate process (its own entry, run with tsx as `npm start`
 * runs it) reached only over HTTP, which a test can kill (SIGKILL) or hang (SIGSTOP) to exercise
 * what happens when it is gone.
 */
export interface ServiceProcess {
  url: string;
  /** The settings it was started with (on top of the inherited basics of the running environment). */
  env: Record<string, string>;
  child: ChildProcess;
  /** GET `pathname`, with `token` as a bearer token when given. */
  get(pathname: string, token?: string, headers?: Record<string, string>): Promise<Response>;
  hang(): void;
  resume(): void;
  /** SIGKILL (after SIGCONT, so a hung process can die); resolves once it has exited. */
  kill(): Promise<void>;
}

export interface ServiceProcessOptions {
  /** The entry module, relative to the repository root (e.g. `resource-servers/films/src/main.ts`). */
  entry: string;
  /** Where it listens; `/readyz` there must answer 200 once it is ready. */
  url: string;
  /** Its settings: nothing else of this run's environment but how Node runs reaches it. */
  env: Record<string, string>;
  /** How long it may take to become ready (default two minutes: a first embedded start on a busy machine). */
  readyWithinMs?: number;
}

/**
 * Starts `entry` and waits until its `/readyz` answers 200. Its log lines are dropped; what it writes
 * to stderr is kept (the last 4 KB) for the error when it exits or is not ready in time.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    cwd: repositoryRoot,
    env: { ...inheritedEnvironment(), ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const service: ServiceProcess = {
    url: options.url,
    env: options.env,
    child,
    get(pathname, token, headers = {}) {
      return fetch(options.url + pathname, {
        headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
    },
    hang() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
  };
  const readyWithinMs = options.readyWithinMs ?? 120_000;
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    const { exitCode, signalCode } = child;
    if (exitCode !== null || signalCode !== null)
      throw new Error(`${options.entry} exited (${signalCode ?? `code ${exitCode}`}): ${stderr}`);
    if (Date.now() > deadline) {
      await service.kill();
      throw new Error(`${options.entry} not ready within ${readyWithinMs / 1000} s: ${stderr}`);
    }
    const ready = await fetch(`${options.url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return service;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
