import type { KeyValueStore } from '@usher/platform';
import type { ProviderConfig } from '../config.ts';
import { keyRetentionSeconds, keysChangedChannel, signingAlgorithms, type Domain } from '../domain.ts';

/**
 * Rotates the signing keys and tells every instance: on Redis at once, otherwise they follow by
 * polling the keys table. The rotation and its audit record are one transaction, under the keys
 * table's lock. Shared by the admin API and the CLI.
 */
export async function rotateSigningKeys(options: {
  config: ProviderConfig;
  domain: Domain;
  store: KeyValueStore;
  actor: string;
  /** The announcement failed: the rotation stands and instances follow by polling; the caller says so its way. */
  unannounced: (error: unknown) => void;
}): Promise<{ activated: string[]; retired: string[] }> {
  const { config, domain, store, actor, unannounced } = options;
  await domain.keys.ensure(signingAlgorithms(config));
  const { activated, retired } = await domain.keys.rotate(keyRetentionSeconds(config), (trx, result) =>
    domain.audit.record({ actor, action: 'keys.rotated', targetType: 'signing_keys', data: result }, trx),
  );
  try {
    await store.publish(keysChangedChannel, 'rotated');
  } catch (error) {
    unannounced(error);
  }
  return { activated, retired };
}
