import { createServer, type Server } from 'node:http';
import {
  ConfigError,
  createLogger,
  databaseTimeouts,
  openDatabase,
  openKeyValueStore,
  redisTimeouts,
  stopOnSignals,
} from '@usher/platform';
import { buildApp } from './app.ts';
import { ensureAdminUiClient } from './bootstrap/admin-ui-client.ts';
import { ensureEventReceivers } from './bootstrap/event-receivers.ts';
import { firstStart } from './bootstrap/first-start.ts';
import { loadProviderConfig } from './config.ts';

/** Starts the provider: config, database (migrated), store, first-start bootstrap, HTTP, and a clean stop. */
async function main() {
  let config;
  try {
    config = loadProviderConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ service: 'provider', level: config.LOG_LEVEL });
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    schema: config.DATABASE_SCHEMA,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    timeouts: databaseTimeouts(config),
    logger,
  });
  const applied = await db.migrate();
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const store = openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX, redisTimeouts(config));
  const built = await buildApp(config, { db, store, logger });
  await firstStart(config, built.domain, logger, (text) => process.stdout.write(`${text}\n`));
  for (const { identifier, name } of config.USHER_RESOURCE_SERVERS ?? []) {
    await built.domain.resources.upsert(identifier, name);
  }
  await ensureEventReceivers(built.domain, config.USHER_EVENT_RECEIVERS ?? [], logger);
  await ensureAdminUiClient(built.domain, config.USHER_ADMIN_UI_URL, logger);

  const server: Server = createServer(built.handler);
  server.listen(config.PORT, config.HOST);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.once('listening', resolve));
  logger.info(
    {
      issuer: config.issuer,
      port: config.PORT,
      database: config.DATABASE_URL ? 'postgres' : 'embedded',
      store: store.kind,
    },
    'provider ready',
  );

  stopOnSignals({
    server,
    logger,
    release: async () => {
      await built.close();
      await store.close();
      await db.close();
    },
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`provider failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
