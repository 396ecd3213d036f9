import { createServer, type Server } from 'node:http';
import {
  createLogger,
  databaseTimeouts,
  openDatabase,
  openKeyValueStore,
  redisTimeouts,
  type Database,
  type KeyValueStore,
  type Logger,
} from '@usher/platform';
import { LogCapture, type TestStores } from '@usher/test-support';
import { initializeAccess } from '../src/access/bootstrap.ts';
import { buildApp, type UsherProvider } from '../src/app.ts';
import { loadProviderConfig, type ProviderConfig } from '../src/config.ts';

/**
 * The provider in this process, for the provider's own tests: they reach into its stores, its
 * domain and its logs. Everything tests of every package share (stores, log capture, the provider
 * as a separate process, sign-in over HTTP) is in @usher/test-support.
 */
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
    timeouts: databaseTimeouts(config),
  });
  const store = openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX, redisTimeouts(config));
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
