/**
 * One knex configuration per service, for the knex CLI and scripts/migrate.ts. Each service owns one
 * schema. With no DATABASE_URL the embedded PostgreSQL in the data folder is used (started here if
 * nothing else hosts it), exactly as the services themselves do.
 */
import {
  embeddedDatabaseDir,
  knexConfig,
  migrationsDir,
  openEmbeddedPostgres,
  resolveDataDir,
} from './platform/src/index.ts';

export const services = ['provider', 'films'] as const;

async function connectionUrl(service: string): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const dataDir = embeddedDatabaseDir(resolveDataDir(process.env.USHER_DATA_DIR), service);
  return (await openEmbeddedPostgres(dataDir)).url;
}

/** knex's CLI accepts an async function returning one config per environment (here: per service). */
export default async function configs() {
  const entries = await Promise.all(
    services.map(async (service) => [
      service,
      knexConfig(await connectionUrl(service), service, migrationsDir(service), 4),
    ]),
  );
  return Object.fromEntries(entries);
}
