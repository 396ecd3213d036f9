import { createLogger, openKeyValueStore } from '@usher/platform';
import { signingAlgorithms } from '../domain.ts';
import { createAdapterFactory } from '../oidc/adapter.ts';
import { createOidcProvider } from '../oidc/provider-factory.ts';
import { createMetrics } from '../ops/metrics.ts';
import { CliError } from './cli-errors.ts';
import type { CliContext } from './cli-context.ts';
import type { ClientInput } from './client-metadata.ts';

/** oidc-provider's errors carry an OAuth code; these two are the ones metadata can earn. */
function metadataProblem(error: unknown): string | null {
  const { error: code, error_description: description } = (error ?? {}) as {
    error?: unknown;
    error_description?: unknown;
  };
  if (code !== 'invalid_client_metadata' && code !== 'invalid_redirect_uri') return null;
  return typeof description === 'string' ? description : String(code);
}

/**
 * Validates with the same oidc-provider configuration the server runs, so a client the CLI accepts
 * is one the server will load. Validation touches no adapter state, hence an in-memory store.
 */
export async function validateClientMetadata({ config, domain }: CliContext, metadata: ClientInput): Promise<void> {
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
    await provider.Client.validate(metadata as Parameters<typeof provider.Client.validate>[0]);
  } catch (error) {
    const problem = metadataProblem(error);
    throw problem === null ? error : new CliError(`Invalid client metadata: ${problem}`);
  } finally {
    await store.close();
  }
}
