import type { Server } from 'node:http';
import { ConfigError, createLogger, openKeyValueStore, redisTimeouts, stopOnSignals } from '@usher/platform';
import { buildApp } from './app.ts';
import { loadFilmsConfig } from './config.ts';
import { openFilmsDatabase } from './data/films-database.ts';
import { seedIfEmpty } from './seed/seed-catalogue.ts';

/** Starts the films server: config, database (migrated, seeded on first start), store, HTTP, and a clean stop. */
async function main() {
  let config;
  try {
    config = loadFilmsConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ service: 'films', level: config.LOG_LEVEL });
  const db = await openFilmsDatabase(config, logger);
  const applied = await db.migrate();
  if (applied.length) logger.info({ applied }, 'migrations applied');
  if (config.seed) await seedIfEmpty(db.knex, logger);
  const store = openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX, redisTimeouts(config));
  const built = await buildApp(config, { db, store, logger });

  const server: Server = built.app.listen(config.FILMS_PORT, config.HOST);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.once('listening', resolve));
  logger.info(
    {
      url: config.publicUrl,
      resource: config.resource,
      issuer: config.issuer,
      ...(config.providerUrl !== config.issuer ? { providerUrl: config.providerUrl } : {}),
      port: config.FILMS_PORT,
      database: config.DATABASE_URL ? 'postgres' : 'embedded',
      store: store.kind,
    },
    'films ready',
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
  process.stderr.write(`films failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
