import { databaseTimeouts, openDatabase, openKeyValueStore, redisTimeouts, runService } from '@usher/platform';
import { buildApp } from './app.ts';
import { ensureAdminUiClient } from './bootstrap/admin-ui-client.ts';
import { ensureEventReceivers } from './bootstrap/event-receivers.ts';
import { firstStart } from './bootstrap/first-start.ts';
import { loadProviderConfig } from './config.ts';

/** Starts the provider: database (migrated), store, first-start bootstrap; platform's runService does the rest. */
await runService({
  name: 'provider',
  loadConfig: () => loadProviderConfig(),
  async start(config, logger) {
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
    return {
      handler: built.handler,
      port: config.PORT,
      host: config.HOST,
      describe: {
        issuer: config.issuer,
      },
      stores: { database: db, keyValue: store },
      async release() {
        await built.close();
      },
    };
  },
});
