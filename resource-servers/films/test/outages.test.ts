import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createTestStores, startTcpRelay, type TcpRelay, type TestStores } from '@usher/test-support';
import { fixtureFilms, ids } from './fixture-catalogue.ts';
import { startFilms, type RunningFilms } from './films-harness.ts';

/**
 * Outages through TCP relays between films and the machine's Redis and PostgreSQL (never by stopping
 * them). Without Redis, films serves from the database within about a second per request (Redis is
 * only its cache); without PostgreSQL, it answers 503 problem+json with Retry-After. Redis is
 * relayed on both store modes, PostgreSQL on the real one only.
 */
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const relayTo = (url: string, port: number) =>
  startTcpRelay({ host: new URL(url).hostname, port: Number(new URL(url).port) || port });

describe('films during outages', () => {
  let stores: TestStores;
  let redisRelay: TcpRelay;
  let databaseRelay: TcpRelay | null = null;
  let films: RunningFilms;
  const prefix = `usher-test-films-outage-${randomBytes(4).toString('hex')}:`;

  before(async () => {
    stores = await createTestStores();
    redisRelay = await relayTo(redisUrl, 6379);
    const env: Record<string, string> = { REDIS_URL: redisRelay.urlFor(redisUrl), REDIS_PREFIX: prefix };
    if (stores.env.DATABASE_URL) {
      databaseRelay = await relayTo(stores.env.DATABASE_URL, 5432);
      env.DATABASE_URL = databaseRelay.urlFor(stores.env.DATABASE_URL);
    }
    films = await startFilms(stores, { films: fixtureFilms, env });
  });

  after(async () => {
    await films?.stop();
    await redisRelay?.close();
    await databaseRelay?.close();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await stores?.dispose();
  });

  /** One request and how long it took. */
  async function timedGet(pathname: string) {
    const started = Date.now();
    const response = await films.get(pathname);
    const body = await response.text();
    return { response, body, ms: Date.now() - started };
  }

  for (const mode of ['refuse', 'silence'] as const) {
    test(`Redis ${mode === 'refuse' ? 'refused' : 'silent'}: film details from the database within a second each, /readyz 503 at once`, async () => {
      await redisRelay.set(mode);
      if (mode === 'refuse') redisRelay.cut();
      try {
        for (const id of [ids.comedyNight, ids.quietDrama, ids.comedyNight]) {
          const { response, body, ms } = await timedGet(`/api/v1/films/${id}`);
          assert.equal(response.status, 200, body);
          assert.equal(response.headers.get('x-cache'), 'MISS');
          // The Redis command timeout (500 ms) plus room for a loaded machine; before the fix, the whole outage.
          assert.ok(ms < (mode === 'refuse' ? 1000 : 1500), `film details after ${ms} ms`);
        }
        const ready = await timedGet('/readyz');
        assert.equal(ready.response.status, 503);
        assert.ok(ready.ms < (mode === 'refuse' ? 200 : 1000), `/readyz after ${ready.ms} ms`);
      } finally {
        await redisRelay.set('pass');
      }
      for (let waited = 0; (await films.get('/readyz')).status !== 200; waited += 100) {
        assert.ok(waited < 5000, 'films is ready again within 5 s');
        await sleep(100);
      }
    });
  }

  test('PostgreSQL refused: 503 problem+json with Retry-After', async (t) => {
    if (!databaseRelay) return t.skip('only a PostgreSQL server can be relayed');
    await databaseRelay.set('refuse');
    databaseRelay.cut();
    try {
      const { response, body, ms } = await timedGet(`/api/v1/films/${ids.runningMan}`);
      assert.equal(response.status, 503, body);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(response.headers.get('retry-after'), '5');
      assert.equal((JSON.parse(body) as { type: string }).type, 'https://usher.dev/problems/service-unavailable');
      assert.ok(ms < 1000, `answered after ${ms} ms`);
    } finally {
      await databaseRelay.set('pass');
    }
  });
});
