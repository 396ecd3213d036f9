import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  createLogger,
  openDatabase,
  openKeyValueStore,
  type Database,
  type KeyValueStore,
  type Logger,
} from '@usher/platform';
import { claimsCacheSeconds, claimsChangeLeadSeconds } from '../src/access/claims-cache.ts';
import { initializeAccess } from '../src/access/bootstrap.ts';
import { buildApp, type UsherProvider } from '../src/app.ts';
import { loadProviderConfig, type ProviderConfig } from '../src/config.ts';

/**
 * Test stores: the machine's real PostgreSQL and Redis (USHER_TEST_STORES=real, the default), or the
 * embedded defaults (USHER_TEST_STORES=embedded: PGlite in a temp folder, in-process store). Each
 * suite gets its own database (or data folder) and Redis key prefix, dropped at the end.
 */
/**
 * Waits until tokens minted from now on are past the lead of a claims change made before this call
 * (revoked_before = change + claimsChangeLeadSeconds, published rounded up to whole seconds, and
 * compared with whole-second `iat`): only then does a new token escape that change's event.
 */
export function pastClaimsChangeLead(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, (claimsChangeLeadSeconds + 1) * 1000 + 100));
}

/**
 * Waits until the token endpoint's claims cache has aged out: a grant made straight in the access
 * store (no change event) reaches tokens for a subject that already had one only after this.
 */
export function pastClaimsCache(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, claimsCacheSeconds * 1000 + 50));
}

export const storeMode = (process.env.USHER_TEST_STORES ?? 'real') as 'real' | 'embedded';
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestStores {
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export async function createTestStores(): Promise<TestStores> {
  const suffix = randomBytes(5).toString('hex');
  if (storeMode === 'embedded') {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'usher-test-'));
    return {
      env: { USHER_DATA_DIR: dataDir },
      async dispose() {
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `usher_test_${suffix}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const databaseUrl = new URL(serverUrl);
  databaseUrl.pathname = `/${name}`;
  const prefix = `usher-test-${suffix}:`;
  return {
    env: { DATABASE_URL: databaseUrl.toString(), REDIS_URL: redisUrl, REDIS_PREFIX: prefix },
    async dispose() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      const redis = new Redis(redisUrl);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
    },
  };
}

/** Log lines a test can search, e.g. for the 4 KB token warning or for leaked secrets. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
  text() {
    return this.lines.join('\n');
  }
}

export interface RunningProvider {
  url: string;
  config: ProviderConfig;
  built: UsherProvider;
  db: Database;
  store: KeyValueStore;
  logs: LogCapture;
  logger: Logger;
  stop(): Promise<void>;
}

/** Quiet, fast test settings: no rate limits unless a test turns them on. */
export const testDefaults: Record<string, string> = {
  LOG_LEVEL: 'debug',
  RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '0',
  RATE_LIMIT_SIGNIN_FAILURES_PER_IP: '0',
  RATE_LIMIT_REGISTRATIONS_PER_IP: '0',
  RATE_LIMIT_REFRESH_PER_MINUTE: '0',
  RATE_LIMIT_SIGNIN_FAILURES_PER_DEVICE: '0',
  RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_CLIENT: '0',
  RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_IP: '0',
  KEY_POLL_INTERVAL_MS: '500',
};

/**
 * Starts the real provider app on a free port. The issuer is only known once the port is, so the
 * server listens first and the app is attached after. Pass `port` to restart on the same issuer.
 */
export async function startProvider(
  stores: TestStores,
  overrides: Record<string, string> = {},
  options: { port?: number; init?: boolean } = {},
): Promise<RunningProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const config = loadProviderConfig({
    ...testDefaults,
    ...stores.env,
    ISSUER: `http://127.0.0.1:${port}`,
    PORT: String(port),
    ...overrides,
  });
  const logs = new LogCapture();
  const logger = createLogger({ service: 'provider', level: config.LOG_LEVEL, destination: logs });
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    schema: config.DATABASE_SCHEMA,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
  });
  const store = openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX);
  let built: UsherProvider;
  try {
    await db.migrate();
    built = await buildApp(config, { db, store, logger });
    if (options.init !== false) await initializeAccess(db.knex, built.domain.access);
  } catch (error) {
    server.close();
    await store.close();
    await db.close();
    throw error;
  }
  server.on('request', built.handler);
  return {
    url: config.issuer,
    config,
    built,
    db,
    store,
    logs,
    logger,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await built.close();
      await store.close();
      await db.close();
    },
  };
}
