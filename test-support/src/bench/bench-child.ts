import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repositoryRoot } from '@usher/platform';
import type { z } from 'zod';
import type { Teardown } from './teardown.ts';

export interface BenchChild<T> {
  /** What the child printed as its JSON ready line. */
  ready: T;
  pid: number;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

export interface ChildOptions<T> {
  /** The child's script, run with tsx: a path relative to the repository root, or an absolute one. */
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  /** Validates the ready line. */
  readyLine: z.ZodType<T>;
  /** Writes a V8 CPU profile of the child into this folder when it exits (node --cpu-prof). */
  cpuProfileDir?: string | undefined;
  timeoutMs?: number;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts a bench child (a server or a measurement) in its own process, so that the load generator
 * does not share its event loop, and waits for the one JSON line it prints on stdout when ready.
 * The child is registered with `teardown`, so it is killed even when the bench fails.
 */
export async function startChild<T>(teardown: Teardown, options: ChildOptions<T>): Promise<BenchChild<T>> {
  const script = path.resolve(repositoryRoot, options.script);
  const name = path.relative(repositoryRoot, script);
  const profile = options.cpuProfileDir
    ? (mkdirSync(options.cpuProfileDir, { recursive: true }), ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`])
    : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script, ...(options.args ?? [])], {
    cwd: repositoryRoot,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  const stop = teardown.defer(`${name} (pid ${pid})`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited(child);
    clearTimeout(killer);
  });

  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
      lines.on('line', (text) => {
        if (!text.startsWith('{')) return;
        clearTimeout(timer);
        resolve(text);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited before it was ready (${signal ?? `code ${code}`})`));
      });
    });
    // Whatever the child prints later is not read by anyone; keep the pipe from filling up.
    child.stdout!.resume();
    return { ready: options.readyLine.parse(JSON.parse(line)), pid, stop };
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${name} ${reason}${stderr ? `:\n${stderr.trim()}` : ''}`, { cause: error });
  }
}

/** A child's own main: prints its ready line, and exits cleanly on SIGTERM/SIGINT after `close`. */
export function announceReady(value: unknown, close: () => Promise<void>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
  let closing = false;
  const exit = () => {
    if (closing) return;
    closing = true;
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`close failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
}
