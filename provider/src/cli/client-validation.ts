import { createLogger, openKeyValueStore } from '@usher/platform';
import { signingAlgorithms } from '../domain.ts';
import { createAdapterFactory } from '../oidc/adapter.ts';
import { clientMetadataProblem } from '../oidc/client-metadata-check.ts';
import { createOidcProvider } from '../oidc/provider-factory.ts';
import { createMetrics } from '../ops/metrics.ts';
import type { CliContext } from './cli-context.ts';

/**
 * Why client metadata is refused, or null: checked by a provider built with the configuration the
 * server runs, so a client the CLI accepts is one the server will load. Validation touches no
 * adapter state, hence an in-memory store.
 */
export async function cliClientMetadataProblem(
  { config, domain }: CliContext,
  metadata: Record<string, unknown>,
): Promise<string | null> {
  await domain.keys.ensure(signingAlgorithms(config));
  const store = openKeyValueStore(undefined);
  try {
    const provider = createOidcProvider({
      config,
      keys: await domain.keys.published(),
      cookieSecrets: ['cli-validation-only'],
      adapter: createAdapterFactory({ knex: domain.knex, store, clients: domain.clients }),
      users: domain.users,
      access: domain.access,
      resources: domain.resources,
      logger: createLogger({ service: 'cli', level: 'silent' }),
      metrics: createMetrics(),
    });
    return await clientMetadataProblem(provider, metadata);
  } finally {
    await store.close();
  }
}
