import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { storeMode, testDatabaseUrl, testRedisUrl } from './test-environment.ts';

export { storeMode };

/**
 * The stores of one suite, as the settings a service reads (DATABASE_URL, REDIS_URL, REDIS_PREFIX,
 * or USHER_DATA_DIR), and how to drop them.
 */
export interface TestStores {
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/**
 * Test stores: the machine's real PostgreSQL and Redis (USHER_TEST_STORES=real, the default), or the
 * embedded defaults (USHER_TEST_STORES=embedded: PGlite in a temp folder, in-process store). Each
 * suite gets its own database (or data folder) and Redis key prefix, dropped by `dispose`.
 */
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
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const databaseUrl = new URL(testDatabaseUrl);
  databaseUrl.pathname = `/${name}`;
  const prefix = `usher-test-${suffix}:`;
  return {
    env: { DATABASE_URL: databaseUrl.toString(), REDIS_URL: testRedisUrl, REDIS_PREFIX: prefix },
    async dispose() {
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      const redis = new Redis(testRedisUrl);
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
