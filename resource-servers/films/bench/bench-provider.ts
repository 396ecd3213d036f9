import { startProviderProcess, type ProviderProcess } from '@usher/test-support';
import type { Teardown } from '@usher/test-support/bench';

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
  const provider = await startProviderProcess(
    { env: settings },
    {},
    { defaults: 'production', ...(port ? { port } : {}) },
  );
  const kill = teardown.defer(`provider (pid ${provider.child.pid})`, () => provider.kill());
  return { ...provider, kill };
}
