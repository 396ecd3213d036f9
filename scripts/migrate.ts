/**
 * `npm run migrate`: applies every service's migrations (services also run them on start). Uses the
 * same settings as the services: DATABASE_URL, or the embedded database in USHER_DATA_DIR.
 */
import { z } from 'zod';
import { loadConfig, openDatabase, resolveDataDir } from '../platform/src/index.ts';
import { services } from '../knexfile.ts';

const settings = loadConfig(z.object({ DATABASE_URL: z.string().optional(), USHER_DATA_DIR: z.string().optional() }));

for (const service of services) {
  const db = await openDatabase({
    databaseUrl: settings.DATABASE_URL,
    dataDir: resolveDataDir(settings.USHER_DATA_DIR),
    schema: service,
  });
  try {
    const applied = await db.migrate();
    console.log(`${service}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
  } finally {
    await db.close();
  }
}
