import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { repositoryRoot } from '@usher/platform';
import { usherEnv } from '../../../provider/bench/bench-context.ts';
import type { Teardown } from '../../../provider/bench/teardown.ts';
import { freePort, type ProviderProcess } from '../../kit/test/provider-process.ts';

const mainScript = path.join('provider', 'src', 'main.ts');
const cliScript = path.join('provider', 'src', 'cli', 'main.ts');

async function whenReady(url: string, provider: ProviderProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { exitCode, signalCode } = provider.child;
    if (exitCode !== null || signalCode !== null)
      throw new Error(`provider exited (${signalCode ?? `code ${exitCode}`}):\n${stderr()}`);
    if (Date.now() > deadline) throw new Error(`provider not ready within 60 s:\n${stderr()}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/**
 * The provider the films bench runs against: the real one (provider/src/main.ts) as a separate
 * process reached only over HTTP, as films meets it in production, with `settings` (its database,
 * the revocation-feed receivers) on top of the production defaults, and its log lines discarded.
 * `port` starts it again on the address of a provider that was killed: same issuer, and the same
 * keys from the same database. Registered with `teardown`, which resumes and kills it.
 */
export async function startBenchProvider(
  teardown: Teardown,
  settings: Record<string, string>,
  port?: number,
): Promise<ProviderProcess> {
  const listenOn = port ?? (await freePort());
  const url = `http://127.0.0.1:${listenOn}`;
  const env = usherEnv({ ...settings, PORT: String(listenOn), HOST: '127.0.0.1', ISSUER: url });
  const child = spawn(process.execPath, ['--import', 'tsx', mainScript], {
    cwd: repositoryRoot,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = teardown.defer(`provider (pid ${child.pid})`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT'); // a hung process must run again to die
    child.kill('SIGKILL');
    await exited;
  });
  const provider: ProviderProcess = {
    url,
    env: settings,
    child,
    cli(...args: string[]) {
      const result = spawnSync(process.execPath, ['--import', 'tsx', cliScript, ...args], {
        cwd: repositoryRoot,
        env,
        encoding: 'utf8',
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
    hang: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    kill,
  };
  try {
    await whenReady(url, provider, () => stderr);
  } catch (error) {
    await kill();
    throw error;
  }
  return provider;
}
