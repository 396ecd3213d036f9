import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repositoryRoot } from '@usher/platform';
import { freePort } from './free-port.ts';
import { startServiceProcess, type ServiceProcess } from './service-process.ts';
import { inheritedEnvironment } from './test-environment.ts';

/**
 * The provider as resource servers (and the admin UI) meet it: `provider/src/main.ts` in its own
 * process, reached only over HTTP, which tests can kill (SIGKILL) or hang (SIGSTOP) to exercise the
 * degrade rules. Nothing here imports provider source; its CLI runs as an operator would run it.
 */
export interface ProviderProcess extends ServiceProcess {
  /** `npm run usher -- <args>` on the provider's stores, as a child process (synchronous). */
  cli(...args: string[]): { status: number | null; stdout: string; stderr: string };
}

export interface ProviderProcessOptions {
  /** Listen on this port: a provider started again where a killed one was keeps its issuer. */
  port?: number;
  /**
   * `test` (the default): quiet logs, keys polled every 300 ms, a known administrator password.
   * `production`: the defaults production gets (the bench measures those).
   */
  defaults?: 'test' | 'production';
}

const testDefaults: Record<string, string> = {
  LOG_LEVEL: 'warn',
  KEY_POLL_INTERVAL_MS: '300',
  USHER_ADMIN_PASSWORD: 'a long and unguessable passphrase',
};
const productionDefaults: Record<string, string> = { NODE_ENV: 'production', LOG_LEVEL: 'info' };

const cliEntry = path.join('provider', 'src', 'cli', 'main.ts');

/** Starts the provider on `stores` (their settings) with `extra` settings on top, and waits until it is ready. */
export async function startProviderProcess(
  stores: { env: Record<string, string> },
  extra: Record<string, string> = {},
  options: ProviderProcessOptions = {},
): Promise<ProviderProcess> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    ...(options.defaults === 'production' ? productionDefaults : testDefaults),
    ...stores.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: url,
    ...extra,
  };
  const service = await startServiceProcess({ entry: path.join('provider', 'src', 'main.ts'), url, env });
  return {
    ...service,
    cli(...args: string[]) {
      const result = spawnSync(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
        cwd: repositoryRoot,
        env: { ...inheritedEnvironment(), ...env },
        encoding: 'utf8',
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}
