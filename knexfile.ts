/**
 * One knex configuration per service with a database (services.ts names its schema), for the knex
 * CLI: `npm run knex -- migrate:status --env films`. With no DATABASE_URL the embedded PostgreSQL in
 * the data folder is used (started here if nothing else hosts it), exactly as the services do.
 */
import {
  embeddedDatabaseDir,
  knexConfig,
  migrationsDir,
  openEmbeddedPostgres,
  resolveDataDir,
} from './platform/src/index.ts';
import { databaseSchemas } from './services.ts';

async function connectionUrl(schema: string): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const dataDir = embeddedDatabaseDir(resolveDataDir(process.env.USHER_DATA_DIR), schema);
  return (await openEmbeddedPostgres(dataDir)).url;
}

/** knex's CLI accepts an async function returning one config per environment (here: per schema). */
export default async function configs() {
  const entries = await Promise.all(
    databaseSchemas.map(async (schema) => [
      schema,
      knexConfig(await connectionUrl(schema), schema, migrationsDir(schema), 4),
    ]),
  );
  return Object.fromEntries(entries);
}
