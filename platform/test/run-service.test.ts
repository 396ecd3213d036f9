import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';

/**
 * runService in a real child process: it listens, says "<name> ready", drains open requests on
 * SIGTERM, releases, and exits 0; a bad setting or a failed start exits 1 with the reason on stderr.
 */
const fixture = path.join(import.meta.dirname, 'fixtures', 'tiny-service.ts');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function launch(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    // Only what the child needs: no settings leak in from the environment running the tests.
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const records = () =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, exited, records, stderr: () => stderr };
}

async function until(check: () => boolean, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('runService', () => {
  test('starts, answers, logs "<name> ready", and on SIGTERM drains, releases and exits 0', async () => {
    const port = await freePort();
    const service = launch({ PORT: String(port), TINY_GREETING: 'hello' });
    try {
      await until(() => service.records().some((record) => record.msg === 'tiny ready'), 'the ready line');
      const ready = service.records().find((record) => record.msg === 'tiny ready')!;
      assert.equal(ready.service, 'tiny');
      assert.equal(ready.port, port);
      assert.equal(ready.greeting, 'hello', 'the fields the service describes itself with');
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'hello');

      // A request in flight when the signal comes still gets its answer.
      const slow = fetch(`http://127.0.0.1:${port}/slow`).then((response) => response.text());
      await new Promise((resolve) => setTimeout(resolve, 100));
      service.child.kill('SIGTERM');
      assert.equal(await slow, 'hello');
      assert.equal(await service.exited, 0);
      assert.deepEqual(
        service
          .records()
          .map((record) => record.msg)
          .slice(-3),
        ['stopping', 'released', 'stopped'],
      );
      assert.equal(service.stderr(), '');
    } finally {
      service.child.kill('SIGKILL');
    }
  });

  test('a bad setting exits 1 with the ConfigError on stderr, naming the variable', async () => {
    const service = launch({ TINY_GREETING: '' });
    assert.equal(await service.exited, 1);
    assert.match(service.stderr(), /^Invalid configuration:\n {2}- TINY_GREETING: /);
    assert.doesNotMatch(service.stderr(), /\bat .+\.ts:\d+/, 'no stack trace');
  });

  test('a failed start exits 1 with the service name and the reason on stderr', async () => {
    const service = launch({ TINY_GREETING: 'hello', TINY_FAIL_START: 'true' });
    assert.equal(await service.exited, 1);
    assert.equal(service.stderr(), 'tiny failed to start: the database is unreachable\n');
  });
});
