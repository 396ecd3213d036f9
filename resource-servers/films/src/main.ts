import { openKeyValueStore, redisTimeouts, runService } from '@usher/platform';
import { buildApp } from './app.ts';
import { loadFilmsConfig } from './config.ts';
import { openFilmsDatabase } from './data/films-database.ts';
import { seedIfEmpty } from './seed/seed-catalogue.ts';

/** The films server: database (migrated, seeded on first start), store, the app, and a clean stop. */
await runService({
  name: 'films',
  loadConfig: () => loadFilmsConfig(),
  async start(config, logger) {
    const db = await openFilmsDatabase(config, logger);
    const applied = await db.migrate();
    if (applied.length) logger.info({ applied }, 'migrations applied');
    if (config.seed) await seedIfEmpty(db.knex, logger);
    const store = openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX, redisTimeouts(config));
    const built = await buildApp(config, { db, store, logger });
    return {
      handler: built.app,
      port: config.port,
      host: config.host,
      describe: {
        url: config.publicUrl,
        resource: config.resource,
        issuer: config.issuer,
        ...(config.providerUrl !== config.issuer ? { providerUrl: config.providerUrl } : {}),
      },
      stores: { database: db, keyValue: store },
      async release() {
        await built.close();
      },
    };
  },
});
