import type { KeyValueStore, Knex, Logger } from '@usher/platform';
import { readCacheGeneration } from '../data/settings-queries.ts';

/** Redis channel on which an import announces a new catalogue generation. */
export const catalogueChangedChannel = 'films:catalogue-changed';

/**
 * The catalogue's cache generation, read from the database at most once per `ttlMs`. An import
 * bumps it in the database (in the import's transaction) and announces it on the store's pub/sub:
 * with Redis every films process drops its copy at once; without Redis (the in-process store, which
 * another process cannot reach) a running server picks the new generation up within `ttlMs`.
 */
export function createCatalogueVersion(deps: { knex: Knex; store: KeyValueStore; logger: Logger; ttlMs?: number }) {
  const ttlMs = deps.ttlMs ?? 1000;
  let cached: { value: string; readAt: number } | null = null;
  let unsubscribe: (() => Promise<void>) | null = null;
  return {
    async start(): Promise<void> {
      unsubscribe = await deps.store.subscribe(catalogueChangedChannel, () => {
        cached = null;
      });
    },
    async current(): Promise<string> {
      if (cached && Date.now() - cached.readAt < ttlMs) return cached.value;
      const value = await readCacheGeneration(deps.knex);
      cached = { value, readAt: Date.now() };
      return value;
    },
    /** Forget the remembered generation (an import in this process). */
    invalidate(): void {
      cached = null;
    },
    async stop(): Promise<void> {
      await unsubscribe?.().catch((error: unknown) => deps.logger.warn({ err: error }, 'unsubscribe failed'));
    },
  };
}

export type CatalogueVersion = ReturnType<typeof createCatalogueVersion>;

/** After an import's commit: tell every films process sharing this store. */
export async function announceCatalogueChange(store: KeyValueStore): Promise<void> {
  await store.publish(catalogueChangedChannel, String(Date.now()));
}
