import {
  commandLineDatabaseTimeouts,
  openDatabase,
  openKeyValueStore,
  redisTimeouts,
  type Database,
  type KeyValueStore,
} from '@usher/platform';
import type { ChangeContext } from '../audit/change-context.ts';
import { loadProviderConfig, type ProviderConfig } from '../config.ts';
import { createDomain, type Domain } from '../domain.ts';
import { createSecurityEventFeed } from '../security-events/feed.ts';

/** What a command works with; built per command and torn down after it. */
export interface CliContext {
  config: ProviderConfig;
  db: Database;
  domain: Domain;
  /** Redis (or memory) store, opened on first use: commands that only read never need it. */
  keyValueStore(): KeyValueStore;
  /**
   * For the shared change functions (the admin API's too), acting as `cli`: each change commits with
   * its audit record and revocation events, announced (on Redis) once it commits.
   */
  changes(): ChangeContext;
}

/**
 * Opens the configured database (or the embedded one, hosting it for the duration of the command
 * when no running system does), migrates it, and closes everything whatever `work` does. No logger
 * is passed on: the CLI's output is its own lines, not pino's (knex's own warnings are dropped too).
 */
export async function withContext<T>(work: (context: CliContext) => Promise<T>): Promise<T> {
  const config = loadProviderConfig();
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    schema: config.DATABASE_SCHEMA,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    timeouts: commandLineDatabaseTimeouts(config),
  });
  const opened: { store?: KeyValueStore } = {};
  try {
    await db.migrate();
    const domain = createDomain(config, db.knex);
    const keyValueStore = () =>
      (opened.store ??= openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX, redisTimeouts(config)));
    const changes = (): ChangeContext => ({
      domain,
      actor: 'cli',
      feed: createSecurityEventFeed({
        knex: db.knex,
        issuer: config.issuer,
        algorithm: config.ACCESS_TOKEN_ALG,
        events: domain.events,
        keys: domain.keys,
        store: keyValueStore(),
      }),
    });
    return await work({ config, db, domain, keyValueStore, changes });
  } finally {
    await opened.store?.close();
    await db.close();
  }
}
