import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import type { Logger } from 'pino';
import { openEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts';

export type { Knex };

/** The repository's root; embedded data lives in `.data/` beneath it unless USHER_DATA_DIR says otherwise. */
export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function resolveDataDir(setting: string | undefined): string {
  return setting ? path.resolve(setting) : path.join(repositoryRoot, '.data');
}

export interface DatabaseOptions {
  /** `postgres://…`; unset means the embedded PostgreSQL in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Each service owns one schema and never reads another's. */
  schema: string;
  /** Folder of this service's migrations. */
  migrations?: string;
  poolMax?: number;
  logger?: Logger;
  /**
   * Hot statements (see statement()) are named prepared statements on a PostgreSQL server unless
   * this is false: behind a pooler that hands each transaction a different server connection
   * (PgBouncer in transaction mode before 1.21), a name prepared on one connection is missing on the
   * next. Ignored on the embedded server, which never uses names.
   */
  preparedStatements?: boolean;
}

export interface Database {
  knex: Knex;
  schema: string;
  embedded: EmbeddedPostgres | null;
  migrate(): Promise<string[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Each service's embedded database lives in its own folder (its own PGlite instance). PGlite is one
 * session shared by every client of its socket server, so session settings such as search_path
 * would leak between services sharing one instance; separate instances keep them apart, and keep
 * the rule that a service never reads another's tables.
 */
export function embeddedDatabaseDir(dataDir: string, schema: string): string {
  return path.join(dataDir, schema);
}

export function migrationsDir(service: string): string {
  return path.join(repositoryRoot, 'migrations', service);
}

/**
 * knex prints its own warnings (with stacks) to the console; route them to our logger instead, or
 * drop them when the caller has none (the CLI's output is its own lines; errors still reach it).
 */
function knexLog(logger: Logger | undefined): NonNullable<Knex.Config['log']> {
  const to = (level: 'warn' | 'error' | 'debug') => (message: unknown) => {
    logger?.[level]({ knex: typeof message === 'string' ? message : String(message) }, 'knex');
  };
  return {
    warn: to('warn'),
    error: to('error'),
    debug: to('debug'),
    deprecate: (method: string) => to('warn')(`deprecated: ${method}`),
  };
}

export function knexConfig(
  url: string,
  schema: string,
  migrations: string,
  poolMax: number,
  logger?: Logger,
): Knex.Config {
  return {
    client: 'pg',
    log: knexLog(logger),
    connection: url,
    searchPath: [schema, 'public'],
    pool: { min: 0, max: poolMax },
    migrations: {
      directory: migrations,
      schemaName: schema,
      tableName: 'knex_migrations',
      loadExtensions: ['.ts'],
      extension: 'ts',
    },
  };
}

/**
 * knex instances whose statements run unnamed: the embedded server (every connection shares
 * PGlite's one session, where names would clash), or a server behind a transaction pooler.
 */
const unnamedStatements = new WeakSet<Knex>();

/** A statement's parameter values: what node-postgres and knex.raw both send as they are. */
export type StatementValue = string | number | boolean | Date | null;
export type Statement<Row> = (values: readonly StatementValue[], trx?: Knex) => Promise<Row[]>;

/**
 * A hot query as plain SQL (`$1`, `$2`, ... each once and in order), run on a pooled connection
 * without knex's query builder. On a PostgreSQL server it is a named prepared statement, parsed and
 * planned once per connection: measured, about half the client CPU of a builder query (80 vs 154
 * µs), and 40% less PostgreSQL CPU over a sign-in's four queries. On the embedded server it is
 * parsed each time, since a name prepared by one connection would clash in the session they all
 * share; likewise when the database was opened with `preparedStatements: false`. Inside a
 * transaction (`trx`) it runs on that transaction's connection through knex.raw. Name the columns
 * it returns: a prepared `select *` fails once a migration adds a column ("cached plan must not
 * change result type"), a named list does not.
 */
export function statement<Row>(knex: Knex, name: string, text: string): Statement<Row> {
  const placeholders = [...text.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]));
  if (placeholders.some((n, index) => n !== index + 1)) {
    throw new Error(`statement ${name}: use $1, $2, ... once each and in order`);
  }
  if (text.includes('?')) throw new Error(`statement ${name}: no "?" (knex.raw reads it as a binding)`);
  const rawText = text.replace(/\$\d+/g, '?');
  const client = knex.client as {
    acquireConnection(): Promise<PgConnection>;
    releaseConnection(connection: PgConnection): Promise<void>;
  };
  return async (values, trx) => {
    if (trx) return ((await trx.raw(rawText, values)) as { rows: Row[] }).rows;
    const connection = await client.acquireConnection();
    try {
      const query = unnamedStatements.has(knex) ? { text, values } : { name, text, values };
      return (await connection.query(query)).rows as Row[];
    } finally {
      await client.releaseConnection(connection);
    }
  };
}

interface PgConnection {
  query(query: { name?: string; text: string; values: readonly StatementValue[] }): Promise<{ rows: unknown[] }>;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const embedded = options.databaseUrl
    ? null
    : await openEmbeddedPostgres(embeddedDatabaseDir(options.dataDir, options.schema), options.logger);
  const url = options.databaseUrl ?? embedded!.url;
  const migrations = options.migrations ?? migrationsDir(options.schema);
  // One connection per process on the embedded server: PGlite runs one message at a time from one
  // session for every connection, so more connections would only queue at the host instead of here.
  // The host keeps each connection's query cycles whole (keepQueryCyclesWhole, embedded-postgres.ts),
  // which is what lets several processes (the CLI while the services run) share it safely.
  const knex = knexFactory(
    knexConfig(url, options.schema, migrations, options.poolMax ?? (embedded ? 1 : 10), options.logger),
  );
  if (embedded || options.preparedStatements === false) unnamedStatements.add(knex);
  return {
    knex,
    schema: options.schema,
    embedded,
    async migrate() {
      await knex.raw('create schema if not exists ??', [options.schema]);
      const [, applied] = (await knex.migrate.latest()) as [number, string[]];
      return applied;
    },
    async ping() {
      try {
        await knex.raw('select 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await knex.destroy();
      await embedded?.stop();
    },
  };
}
