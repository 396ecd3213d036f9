import type { Knex, Logger } from '@usher/platform';
import { batchSize, createCatalogueWriter, type FilmRecord } from '../data/catalogue-writer.ts';
import { bumpCacheGeneration } from '../data/settings-queries.ts';
import { demoCatalogue } from './demo-catalogue.ts';

/**
 * Loads the demo catalogue on first start: only when the films table is empty, in one transaction
 * of batched multi-row inserts (so two processes starting together cannot both seed: the loser's
 * insert conflicts and rolls back, and the check is repeated under a lock).
 */
export async function seedIfEmpty(knex: Knex, logger: Logger, count?: number): Promise<number> {
  const started = Date.now();
  const inserted = await knex.transaction(async (trx) => {
    await trx.raw('lock table films.films in share row exclusive mode');
    const existing = await trx('films.films').first('uuid');
    if (existing) return 0;
    const writer = createCatalogueWriter(trx);
    let batch: FilmRecord[] = [];
    let total = 0;
    for (const film of demoCatalogue(count)) {
      batch.push(film);
      if (batch.length === batchSize) {
        await writer.writeBatch(batch);
        total += batch.length;
        batch = [];
      }
    }
    await writer.writeBatch(batch);
    total += batch.length;
    await bumpCacheGeneration(trx);
    return total;
  });
  if (inserted) logger.info({ films: inserted, ms: Date.now() - started }, 'demo catalogue loaded');
  return inserted;
}
