/**
 * `npm run films -- <command>`:
 *   import <file> [--replace]   load a JSON array or JSON Lines file of films (CONTRACTS 3.1 Film)
 *   seed                        load the demo catalogue when the catalogue is empty
 * Runs before or while the server runs: it shares the database (embedded too) and the store.
 */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  CliError,
  commandLineDatabaseTimeouts,
  createLogger,
  createProgressBar,
  openKeyValueStore,
  redisTimeouts,
  runCli,
  UsageError,
  type CliProgram,
} from '@usher/platform';
import { loadFilmsConfig, type FilmsConfig } from '../config.ts';
import { openFilmsDatabase } from '../data/films-database.ts';
import { readCatalogueFile, MalformedFile } from '../import/catalogue-file.ts';
import { importCatalogue } from '../import/import-catalogue.ts';
import { seedIfEmpty } from '../seed/seed-catalogue.ts';

const usage = `Usage: npm run films -- <command>
  import <file> [--replace]   import films from a JSON array or JSON Lines file
  seed                        load the demo catalogue if the catalogue is empty`;

async function withStores<T>(config: FilmsConfig, run: (deps: Awaited<ReturnType<typeof open>>) => Promise<T>) {
  const deps = await open(config);
  try {
    return await run(deps);
  } finally {
    await deps.store.close();
    await deps.db.close();
  }
}

async function open(config: FilmsConfig) {
  const logger = createLogger({ service: 'films-cli', level: 'warn', destination: process.stderr });
  const db = await openFilmsDatabase(config, logger, commandLineDatabaseTimeouts(config));
  await db.migrate();
  return { db, logger, store: openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX, redisTimeouts(config)) };
}

async function importCommand(config: FilmsConfig, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { replace: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('import takes exactly one file');
  const file = positionals[0]!;
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new CliError(`cannot read ${file}`);
  }
  return withStores(config, async ({ db, store }) => {
    const progress = createProgressBar({ total: { bytes: size }, unit: 'films', verb: 'imported' });
    try {
      const result = await importCatalogue({
        knex: db.knex,
        store,
        rows: readCatalogueFile(file, (bytes) => progress.advance(bytes)),
        replace: values.replace === true,
        onImported: (total) => progress.items(total),
        onRejected: (row) => {
          progress.interrupt();
          process.stderr.write(`rejected: item ${row.index} (line ${row.line}): ${row.reason}\n`);
        },
      });
      progress.done();
      const rejected = result.rejected.length;
      process.stdout.write(
        `Imported ${result.imported} films${values.replace ? ' (catalogue replaced)' : ''}; ${rejected} rows rejected.\n`,
      );
      return rejected ? 1 : 0;
    } catch (error) {
      progress.interrupt();
      if (error instanceof MalformedFile) throw new CliError(`${error.message}; nothing was imported`);
      throw error;
    }
  });
}

async function seedCommand(config: FilmsConfig): Promise<number> {
  return withStores(config, async ({ db, logger }) => {
    const count = await seedIfEmpty(db.knex, logger);
    process.stdout.write(count ? `Seeded ${count} films.\n` : 'The catalogue is not empty; nothing seeded.\n');
    return 0;
  });
}

const films: CliProgram = {
  usage: () => usage,
  async run([command, ...rest]) {
    const config = loadFilmsConfig();
    switch (command) {
      case 'import':
        return importCommand(config, rest);
      case 'seed':
        return seedCommand(config);
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
    }
  },
};

await runCli(films);
