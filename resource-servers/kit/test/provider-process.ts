import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { repositoryRoot } from '@usher/platform';
import type { TestStores } from '../../../provider/test/harness.ts';

/**
 * The provider as resource servers meet it: a separate process reached only over HTTP, which tests
 * can kill (SIGKILL) or hang (SIGSTOP) to exercise the degrade rules.
 */
export interface ProviderProcess {
  url: string;
  env: Record<string, string>;
  child: ChildProcess;
  cli(...args: string[]): { status: number | null; stdout: string; stderr: string };
  hang(): void;
  resume(): void;
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startProviderProcess(
  stores: TestStores,
  extra: Record<string, string> = {},
): Promise<ProviderProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    ...stores.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: url,
    LOG_LEVEL: 'warn',
    KEY_POLL_INTERVAL_MS: '300',
    USHER_ADMIN_PASSWORD: 'a long and unguessable passphrase',
    ...extra,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'provider/src/main.ts'], {
    cwd: repositoryRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`provider exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`provider not ready: ${stderr}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return {
    url,
    env,
    child,
    cli(...args: string[]) {
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', path.join('provider', 'src', 'cli', 'main.ts'), ...args],
        {
          cwd: repositoryRoot,
          env: { ...process.env, ...env },
          encoding: 'utf8',
        },
      );
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
    hang() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A client-credentials token for `resource` (the client is made with the CLI, as an operator would). */
export async function machineToken(
  provider: ProviderProcess,
  clientId: string,
  secret: string,
  resource: string,
): Promise<string> {
  const response = await fetch(`${provider.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource }).toString(),
  });
  if (!response.ok) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Registers a resource server and a machine client holding `permissions`; returns its credentials. */
export function registerMachineClient(
  provider: ProviderProcess,
  resource: string,
  clientId: string,
  permissions: string[],
) {
  const steps = [
    ['resources', 'create', resource, '--name', 'Kit test resource'],
    [
      'clients',
      'create',
      '--json',
      JSON.stringify({
        client_id: clientId,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      }),
    ],
  ];
  let secret = '';
  for (const step of steps) {
    const result = provider.cli(...step);
    if (result.status !== 0 && !/already exists/.test(result.stderr))
      throw new Error(`${step.join(' ')}: ${result.stderr}`);
    if (step[0] === 'clients') secret = (JSON.parse(result.stdout) as { client_secret: string }).client_secret;
  }
  for (const permission of permissions) {
    const result = provider.cli('permissions', 'grant', permission, '--client', clientId);
    if (result.status !== 0) throw new Error(`grant ${permission}: ${result.stderr}`);
  }
  return secret;
}
