import type { KeyValueStore, Logger } from '@usher/platform';
import type Provider from 'oidc-provider';
import type { KeyStore, SigningKey } from '../keys/key-store.ts';
import { keysChangedChannel } from '../domain.ts';

export interface ProviderHolder {
  readonly current: Provider;
  readonly keys: SigningKey[];
  /** Re-reads the keys table now and swaps in a new Provider if the published set changed. */
  refresh(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Keeps the Provider in step with the keys table. oidc-provider reads its key set once, so a change
 * (rotation by the CLI, the admin API or another instance, or a retired key reaching its end) builds
 * a new Provider and swaps it in atomically. Instances poll the table, and on Redis also hear a
 * rotation announced, so every instance follows within the poll interval with no restart.
 */
export async function createProviderHolder(options: {
  keyStore: KeyStore;
  build: (keys: SigningKey[]) => Provider;
  store: KeyValueStore;
  pollMs: number;
  logger: Logger;
}): Promise<ProviderHolder> {
  const { keyStore, build, store, pollMs, logger } = options;
  let version = await keyStore.version();
  let keys = await keyStore.published();
  let current = build(keys);
  let refreshing: Promise<boolean> | null = null;

  async function refresh(): Promise<boolean> {
    const latest = await keyStore.version();
    if (latest === version) return false;
    const published = await keyStore.published();
    const next = build(published);
    current = next;
    keys = published;
    version = latest;
    logger.info(
      { kids: published.map((key) => `${key.kid}:${key.alg}:${key.status}`) },
      'signing keys changed; provider rebuilt',
    );
    return true;
  }

  const guardedRefresh = () => {
    refreshing ??= refresh().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };

  const timer = setInterval(() => {
    guardedRefresh().catch((error: unknown) => logger.warn({ err: error }, 'could not check signing keys'));
  }, pollMs);
  timer.unref();
  const unsubscribe = await store.subscribe(keysChangedChannel, () => {
    guardedRefresh().catch((error: unknown) => logger.warn({ err: error }, 'could not reload signing keys'));
  });

  return {
    get current() {
      return current;
    },
    get keys() {
      return keys;
    },
    refresh: guardedRefresh,
    async stop() {
      clearInterval(timer);
      await unsubscribe();
    },
  };
}
