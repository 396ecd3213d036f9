/**
 * `npm run migrate`: applies the migrations of every service with a database (services.ts; the
 * services also run them on start). Uses the same settings as the services: DATABASE_URL, or the
 * embedded database in USHER_DATA_DIR.
 */
import { z } from 'zod';
import { loadConfig, openDatabase, resolveDataDir } from '../platform/src/index.ts';
import { databaseSchemas } from '../services.ts';

const settings = loadConfig(z.object({ DATABASE_URL: z.string().optional(), USHER_DATA_DIR: z.string().optional() }));

for (const schema of databaseSchemas) {
  const db = await openDatabase({
    databaseUrl: settings.DATABASE_URL,
    dataDir: resolveDataDir(settings.USHER_DATA_DIR),
    schema,
  });
  try {
    const applied = await db.migrate();
    console.log(`${schema}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
  } finally {
    await db.close();
  }
}
