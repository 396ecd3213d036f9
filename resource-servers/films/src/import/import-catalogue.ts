import type { KeyValueStore, Knex } from '@usher/platform';
import { announceCatalogueChange } from '../catalogue/catalogue-version.ts';
import { batchSize, createCatalogueWriter, type FilmRecord } from '../data/catalogue-writer.ts';
import { bumpCacheGeneration } from '../data/settings-queries.ts';
import type { FileRow } from './catalogue-file.ts';
import { parseFilm } from './film-schema.ts';

export interface RejectedRow {
  index: number;
  line: number;
  reason: string;
}

export interface ImportResult {
  imported: number;
  rejected: RejectedRow[];
}

export interface ImportOptions {
  knex: Knex;
  store: KeyValueStore;
  rows: AsyncIterable<FileRow>;
  /** Drop the existing catalogue first (in the same transaction). */
  replace: boolean;
  onRejected?: (row: RejectedRow) => void;
  onImported?: (total: number) => void;
}

/**
 * Imports catalogue rows in one transaction of batched writes: a reader never sees half an import,
 * and `--replace` never leaves an empty catalogue behind a failure. Bad rows are reported and
 * skipped; the cache generation is bumped in the transaction and announced after the commit.
 */
export async function importCatalogue(options: ImportOptions): Promise<ImportResult> {
  const rejected: RejectedRow[] = [];
  let imported = 0;
  await options.knex.transaction(async (trx) => {
    const writer = createCatalogueWriter(trx);
    if (options.replace) await writer.clear();
    let batch = new Map<string, FilmRecord>();
    const flush = async () => {
      await writer.writeBatch([...batch.values()]);
      imported += batch.size;
      batch = new Map();
      options.onImported?.(imported);
    };
    for await (const row of options.rows) {
      const parsed = 'error' in row ? { reason: row.error } : parseFilm(row.value);
      if ('reason' in parsed) {
        const failure = { index: row.index, line: row.line, reason: parsed.reason };
        rejected.push(failure);
        options.onRejected?.(failure);
        continue;
      }
      // The same film twice in one batch: the later row wins, as it would across batches.
      if (batch.has(parsed.film.uuid)) await flush();
      batch.set(parsed.film.uuid, parsed.film);
      if (batch.size >= batchSize) await flush();
    }
    if (batch.size) await flush();
    await bumpCacheGeneration(trx);
  });
  await announceCatalogueChange(options.store).catch(() => {
    // Without pub/sub the generation in the database still reaches every server within its TTL.
  });
  return { imported, rejected };
}
