import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repositoryRoot } from '@usher/platform';
import { freePort, type ProviderProcess, type TestStores } from '@usher/test-support';

/**
 * The kit README's example service (resource-servers/kit/example/hello-service.ts) as the program it
 * is, against a provider process, and its event streams as a client reads them.
 */
export interface HelloProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** The README's example, run as the program it is (resource-servers/kit/example/hello-service.ts). */
export async function startHello(
  provider: ProviderProcess,
  stores: TestStores,
  resource: string,
  extra: Record<string, string> = {},
): Promise<HelloProcess> {
  const port = await freePort();
  const stateDir = await mkdtemp(path.join(tmpdir(), 'usher-hello-'));
  const env: Record<string, string> = {
    HELLO_PORT: String(port),
    HOST: '127.0.0.1',
    PROVIDER_ISSUER: provider.url,
    HELLO_RESOURCE: resource,
    HELLO_STATE_DIR: stateDir,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    // The provider's Redis and prefix: the channel it publishes revocations on.
    ...(stores.env.REDIS_URL ? { REDIS_URL: stores.env.REDIS_URL, REDIS_PREFIX: stores.env.REDIS_PREFIX! } : {}),
    ...extra,
  };
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join('resource-servers', 'kit', 'example', 'hello-service.ts')],
    { cwd: repositoryRoot, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hello exited: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL'); // not left behind to hold the test process open
      throw new Error(`hello not ready: ${output}`);
    }
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** An open event stream: its text so far, and when (and whether) it ended. */
export function follow(url: string, token: string) {
  const state = { text: '', endedAt: 0 };
  const opened = fetch(url, { headers: { authorization: `Bearer ${token}` } }).then(async (response) => {
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (value) state.text += decoder.decode(value, { stream: true });
        if (done) break;
      }
      state.endedAt = Date.now();
    })();
    return response;
  });
  return { state, opened };
}

/** Waits until `check` holds; answers how long that took. */
export const until = async (check: () => boolean, timeoutMs: number, what: string) => {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
};
