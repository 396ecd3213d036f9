import { databaseTimeouts, openDatabase, type Database, type DatabaseTimeouts, type Logger } from '@usher/platform';
import { databaseSchema, type FilmsConfig } from '../config.ts';

/**
 * The films database (schema `films`; on the embedded default, films' own PGlite instance). Films
 * queries name their tables with the schema, so they read the same whatever the search path.
 */
export async function openFilmsDatabase(
  config: FilmsConfig,
  logger?: Logger,
  timeouts: DatabaseTimeouts = databaseTimeouts(config),
): Promise<Database> {
  return openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    schema: databaseSchema,
    timeouts,
    ...(logger ? { logger } : {}),
  });
}
