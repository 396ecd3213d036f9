import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

const root = path.resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  readyMs: number;
}

/** Runs the root `npm start` entry exactly as `npm start` does, on embedded defaults. */
async function start(env: Record<string, string>): Promise<Started> {
  const began = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(check);
      // Stopped, with its services, before the next test needs their ports.
      child.once('exit', () => reject(new Error(`not ready in 60 s:\n${text}`)));
      child.kill('SIGINT');
    }, 60_000);
    const check = setInterval(() => {
      if (text.includes('Usher is ready')) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
      if (child.exitCode !== null) {
        clearInterval(check);
        clearTimeout(timer);
        reject(new Error(`exited early:\n${text}`));
      }
    }, 50);
  });
  return { child, output: () => text, readyMs: Date.now() - began };
}

async function stop(started: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
  started.child.kill('SIGINT');
  return exited;
}

/** Waits until `condition` holds, polling; fails with `what` after `timeoutMs`. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * The processes running `entry` with `setting` in their environment (read from /proc): a service of
 * one test's system, whoever its parent is now.
 */
function servicePids(entry: string, setting: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.includes(entry) && readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(setting);
      } catch {
        return false; // gone meanwhile, or not ours
      }
    })
    .map(Number);
}

async function answersReady(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
  return response?.status === 200;
}

function cli(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'provider/src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...env },
    encoding: 'utf8',
  });
}

describe('npm start on a bare machine (embedded defaults)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let port: number;
  let filmsPort: number;
  let adminUiPort: number;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'usher-start-'));
    port = await freePort();
    filmsPort = await freePort();
    adminUiPort = await freePort();
    env = {
      USHER_DATA_DIR: dataDir,
      PORT: String(port),
      ISSUER: `http://127.0.0.1:${port}`,
      FILMS_PORT: String(filmsPort),
      ADMIN_UI_PORT: String(adminUiPort),
      LOG_LEVEL: 'warn',
    };
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('first start: ready within 15 s, prints the URLs and a one-time superuser password; the CLI works alongside', async () => {
    const started = await start(env);
    try {
      assert.ok(started.readyMs < 15_000, `ready in ${started.readyMs} ms`);
      const output = started.output();
      assert.match(output, new RegExp(`provider\\s+http://127.0.0.1:${port}`));
      assert.match(output, /email:\s+admin@usher\.local/);
      const password = /password: (\S+)/.exec(output)?.[1];
      assert.ok(password && password.length >= 16);
      const discovery = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
      assert.equal(discovery.status, 200);
      assert.match(output, new RegExp(`films\\s+http://localhost:${filmsPort}`));
      const films = await fetch(`http://127.0.0.1:${filmsPort}/api/v1/films?page%5Bsize%5D=1`);
      assert.equal(films.status, 200, 'films serves the demo catalogue');
      const resources = cli(env, 'resources', 'list');
      assert.match(
        resources.stdout,
        new RegExp(`http://localhost:${filmsPort}`),
        'films is registered with the provider',
      );
      assert.match(output, new RegExp(`admin UI\\s+http://localhost:${adminUiPort}`));
      const adminUi = await fetch(`http://127.0.0.1:${adminUiPort}/users`);
      assert.equal(adminUi.status, 200, 'the admin UI serves its app');
      assert.match(await adminUi.text(), /<div id="root">/);
      const uiConfig = (await (await fetch(`http://127.0.0.1:${adminUiPort}/config.json`)).json()) as {
        issuer: string;
      };
      assert.equal(uiConfig.issuer, `http://127.0.0.1:${port}`);
      const clients = cli(env, 'clients', 'list');
      assert.match(clients.stdout, /usher-admin/, "the provider registered the admin UI's client");

      // The CLI connects to the running embedded database.
      const init = cli(env, 'init');
      assert.equal(init.status, 0, init.stderr);
      assert.match(init.stdout, /App initialization done\./);
      const before = ((await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: { kid: string }[] }).keys
        .length;
      const rotate = cli(env, 'keys', 'rotate');
      assert.equal(rotate.status, 0, rotate.stderr);
      let after = before;
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && after === before) {
        after = ((await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: { kid: string }[] }).keys
          .length;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(after > before, 'the running provider publishes the new keys within 5 s, with no restart');
    } finally {
      assert.equal(await stop(started), 0, 'Ctrl-C stops cleanly');
    }
  });

  test('a second start reuses the data and prints no new password', async () => {
    const started = await start(env);
    try {
      assert.doesNotMatch(started.output(), /password:/);
      const superuser = cli(
        env,
        'superuser',
        'create',
        '--email',
        'admin@usher.local',
        '--password',
        'another long passphrase',
      );
      assert.equal(superuser.status, 1);
      assert.match(superuser.stderr, /already exists/);
    } finally {
      assert.equal(await stop(started), 0);
    }
  });

  test('a service killed with SIGKILL is restarted with backoff; Ctrl-C during a backoff stops cleanly', async () => {
    const filmsProcesses = () => servicePids('resource-servers/films/src/main.ts', `FILMS_PORT=${filmsPort}`);
    const started = await start(env);
    try {
      const [films] = filmsProcesses();
      assert.ok(films, 'films runs as a process of its own under the launcher');
      process.kill(films, 'SIGKILL');
      await until('the launcher to say it restarts films', () => /restarting it in/.test(started.output()), 10_000);
      assert.match(started.output(), /\[start\] films exited \(SIGKILL\); restarting it in 0\.5 s\./);
      await until(
        'a new films process to answer /readyz',
        async () => filmsProcesses().some((pid) => pid !== films) && (await answersReady(filmsPort)),
        60_000,
      );
      await until('the launcher to say films is back', () => /films is ready again/.test(started.output()), 5000);
      assert.ok(await answersReady(port), 'the provider kept running');

      // A second crash soon after waits twice as long; Ctrl-C during that wait stops everything.
      const [restarted] = filmsProcesses();
      assert.ok(restarted && restarted !== films);
      process.kill(restarted, 'SIGKILL');
      await until(
        'the second restart',
        () => /films exited \(SIGKILL\); restarting it in 1 s\./.test(started.output()),
        10_000,
      );
    } finally {
      assert.equal(await stop(started), 0, 'Ctrl-C stops cleanly, in a backoff too');
    }
    assert.match(started.output(), /\[start\] stopped\./);
    await sleep(1500); // past the backoff: a restart still pending would have started films by now
    assert.deepEqual(filmsProcesses(), [], 'films was not started again after Ctrl-C');
  });

  test('a service that cannot start stops the others and fails the command (non-zero exit)', async () => {
    // Something else holds the admin UI's port: the UI server cannot listen there.
    const squatter = createHttpServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => squatter.listen(adminUiPort, resolve));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
      // Restarted with backoff, as any crash, then given up on: it never became ready.
      assert.match(output, /\[start\] admin UI exited \(1\); restarting it in 0\.5 s\./);
      assert.match(
        output,
        /\[start\] admin UI exited \(1\), 4 times in a row before becoming ready: giving up on it\./,
      );
      assert.match(output, /a service did not become ready/);
      assert.doesNotMatch(output, /Usher is ready/);
      assert.equal(code, 1, output);
      const provider = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
      assert.equal(provider, null, 'the provider was stopped too');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
