import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import type { Logger } from 'pino';
import { openEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts';
import { StoreUnavailable } from './store-unavailable.ts';

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
  /** How long a query may wait for PostgreSQL; defaults to `defaultDatabaseTimeouts`. */
  timeouts?: Partial<DatabaseTimeouts>;
}

/**
 * The bounds on every query of a service's pool, so that a PostgreSQL that is down, silent or
 * overloaded fails a request within about a second (and StoreUnavailable-style errors, see
 * isStoreUnavailable) instead of holding it for as long as the outage lasts.
 */
export interface DatabaseTimeouts {
  /** Opening a connection (DATABASE_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  /**
   * PostgreSQL's statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS): the server cancels a statement
   * running longer. The client gives up `silentServerGraceMs` later (a server that does not answer
   * at all), and closes that connection rather than reuse it. 0: no limit.
   */
  statementTimeoutMs: number;
  /**
   * PostgreSQL's idle_in_transaction_session_timeout (DATABASE_IDLE_TRANSACTION_TIMEOUT_MS): a
   * session left inside a transaction this long (a process stuck or gone mid-transaction) is ended
   * by the server, releasing its locks. 0: no limit.
   */
  idleInTransactionTimeoutMs: number;
}

export const defaultDatabaseTimeouts: DatabaseTimeouts = {
  connectTimeoutMs: 1000,
  statementTimeoutMs: 1000,
  idleInTransactionTimeoutMs: 5000,
};

/** How much longer than statement_timeout the client waits for a server that says nothing. */
export const silentServerGraceMs = 500;

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

/**
 * A knex configuration on `url`. Without `bounds` its queries are unbounded (migrations, the knex
 * CLI); a service's pool gets them (see DatabaseTimeouts and boundedConnection).
 */
export function knexConfig(
  url: string,
  schema: string,
  migrations: string,
  poolMax: number,
  logger?: Logger,
  bounds?: { timeouts: DatabaseTimeouts; embedded: boolean },
): Knex.Config {
  return {
    client: 'pg',
    log: knexLog(logger),
    connection: bounds ? boundedConnection(url, bounds.timeouts, bounds.embedded) : url,
    searchPath: [schema, 'public'],
    pool: bounds ? boundedPool(poolMax, bounds.timeouts, bounds.embedded) : { min: 0, max: poolMax },
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
 * node-postgres settings bounding every query. The embedded server gets the connect timeout only:
 * its one PGlite session is shared by every connection (a session setting would reach them all, and
 * pglite-socket ignores those sent at connection start), PGlite has no timer to enforce them, and
 * queries queue there behind other processes' transactions by design.
 */
function boundedConnection(url: string, timeouts: DatabaseTimeouts, embedded: boolean) {
  const { connectTimeoutMs, statementTimeoutMs, idleInTransactionTimeoutMs } = timeouts;
  if (embedded) return { connectionString: url, connectionTimeoutMillis: connectTimeoutMs };
  return {
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(statementTimeoutMs
      ? { statement_timeout: statementTimeoutMs, query_timeout: statementTimeoutMs + silentServerGraceMs }
      : {}),
    ...(idleInTransactionTimeoutMs ? { idle_in_transaction_session_timeout: idleInTransactionTimeoutMs } : {}),
  };
}

/**
 * The pool: on a PostgreSQL server a query waits for a connection at most as long as opening one
 * and one statement ahead of it take; a connection whose server did not answer is closed (see
 * closeWhenSilent). On the embedded server queries queue for its one connection as long as knex's
 * default allows: that queue is the design there, not an outage.
 */
function boundedPool(poolMax: number, timeouts: DatabaseTimeouts, embedded: boolean): Knex.PoolConfig {
  if (embedded) return { min: 0, max: poolMax };
  const answerMs = timeouts.statementTimeoutMs ? timeouts.statementTimeoutMs + silentServerGraceMs : 0;
  return {
    min: 0,
    max: poolMax,
    ...(answerMs ? { acquireTimeoutMillis: timeouts.connectTimeoutMs + answerMs } : {}),
    afterCreate: (connection: PgClient, done: (error: Error | null, connection: PgClient) => void) => {
      closeWhenSilent(connection);
      done(null, connection);
    },
  };
}

interface PgClient {
  query: (...args: unknown[]) => unknown;
  connection?: { stream?: { destroy(): void } };
}

/**
 * node-postgres answers a query the server has not answered in query_timeout with "Query read
 * timeout", but keeps the connection, whose next query then waits behind the unanswered one: after a
 * silent server, every pooled connection would fail each query once more. Closing the connection
 * instead lets the pool open a new one, so the process recovers by itself as soon as the server
 * answers again (a connection that ends is dropped by knex's pool).
 */
function closeWhenSilent(connection: PgClient) {
  const query = connection.query.bind(connection);
  const closeIfSilent = (error: unknown) => {
    if ((error as Error | null)?.message === 'Query read timeout') connection.connection?.stream?.destroy();
  };
  connection.query = (...args: unknown[]) => {
    const callback = args.at(-1);
    if (typeof callback === 'function') {
      args[args.length - 1] = (error: unknown, result: unknown) => {
        closeIfSilent(error);
        (callback as (error: unknown, result: unknown) => void)(error, result);
      };
    }
    const result = query(...args);
    if (result instanceof Promise) result.catch(closeIfSilent);
    return result;
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
  const timeouts = { ...defaultDatabaseTimeouts, ...options.timeouts };
  const poolMax = options.poolMax ?? (embedded ? 1 : 10);
  const knex = knexFactory(
    knexConfig(url, options.schema, migrations, poolMax, options.logger, { timeouts, embedded: Boolean(embedded) }),
  );
  if (embedded || options.preparedStatements === false) unnamedStatements.add(knex);
  // readyz answers within the time a query may take: opening a connection and one statement.
  const pingWithinMs = timeouts.connectTimeoutMs + (timeouts.statementTimeoutMs || 1000) + silentServerGraceMs;
  return {
    knex,
    schema: options.schema,
    embedded,
    async migrate() {
      // Migrations build indexes and rewrite tables: they run unbounded, on a knex of their own.
      const migrator = knexFactory(knexConfig(url, options.schema, migrations, 1, options.logger));
      try {
        await migrator.raw('create schema if not exists ??', [options.schema]);
        const [, applied] = (await migrator.migrate.latest()) as [number, string[]];
        return applied;
      } finally {
        await migrator.destroy();
      }
    },
    async ping() {
      try {
        await settleWithin(knex.raw('select 1'), pingWithinMs);
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

/** `work`, or a StoreUnavailable once `ms` have passed without it settling. */
async function settleWithin<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailable('database', `no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
