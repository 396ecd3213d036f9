import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createRateLimiter, openKeyValueStore, type KeyValueStore } from '../src/index.ts';

/**
 * One set of behaviour tests, run against the in-process store and a real Redis, so the two
 * limiters cannot drift apart. Redis keys live under a random prefix, removed at the end.
 */
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `usher-test-${randomBytes(5).toString('hex')}:`;

function behaviour(kind: 'memory' | 'redis', url: string | undefined) {
  describe(`${kind} rate limiter`, () => {
    let store: KeyValueStore;

    before(() => {
      store = openKeyValueStore(url, `${runPrefix}${kind}:`);
    });

    after(async () => {
      await store.close();
    });

    test('allows the points of a window, then refuses with a Retry-After within the window', async () => {
      const limit = createRateLimiter(store, { name: 'window', points: 3, durationSeconds: 60 });
      const answers = [];
      for (let i = 0; i < 4; i += 1) answers.push(await limit.consume('10.0.0.1'));
      assert.deepEqual(answers.slice(0, 3), [
        { allowed: true, remaining: 2 },
        { allowed: true, remaining: 1 },
        { allowed: true, remaining: 0 },
      ]);
      const refused = answers[3]!;
      assert.equal(refused.allowed, false);
      assert.ok(!refused.allowed && refused.retryAfterSeconds >= 59 && refused.retryAfterSeconds <= 60);
      assert.deepEqual(await limit.consume('10.0.0.2'), { allowed: true, remaining: 2 }, 'keys count apart');
    });

    test('a window passes, and its key starts afresh', async () => {
      const limit = createRateLimiter(store, { name: 'short', points: 1, durationSeconds: 1 });
      assert.equal((await limit.consume('k')).allowed, true);
      assert.equal((await limit.consume('k')).allowed, false);
      await sleep(1100);
      assert.deepEqual(await limit.consume('k'), { allowed: true, remaining: 0 });
    });

    test('past its points a key is blocked for the block duration, beyond its window', async () => {
      const limit = createRateLimiter(store, { name: 'blocking', points: 1, durationSeconds: 1, blockSeconds: 30 });
      await limit.consume('k');
      const refused = await limit.consume('k');
      assert.ok(!refused.allowed && refused.retryAfterSeconds >= 29 && refused.retryAfterSeconds <= 30);
      await sleep(1100);
      const still = await limit.consume('k');
      assert.ok(!still.allowed && still.retryAfterSeconds >= 28, 'the block outlives the window');
      const state = await limit.get('k');
      assert.equal(state.remaining, 0);
      assert.ok(state.resetSeconds >= 28 && state.resetSeconds <= 30);
    });

    test('get reads a key without spending; an unknown key has nothing spent', async () => {
      const limit = createRateLimiter(store, { name: 'reading', points: 5, durationSeconds: 60 });
      assert.deepEqual(await limit.get('never'), { consumed: 0, remaining: 5, resetSeconds: 0 });
      await limit.consume('seen', 2);
      const state = await limit.get('seen');
      assert.equal(state.consumed, 2);
      assert.equal(state.remaining, 3);
      assert.ok(state.resetSeconds >= 59 && state.resetSeconds <= 60);
      assert.equal((await limit.get('seen')).consumed, 2, 'reading twice spends nothing');
    });

    test('penalty counts without refusing; reward gives points back', async () => {
      const limit = createRateLimiter(store, { name: 'scores', points: 2, durationSeconds: 60 });
      const penalised = await limit.penalty('k', 3);
      assert.equal(penalised.consumed, 3, 'a penalty may pass the limit without an answer to give');
      assert.equal(penalised.remaining, 0);
      assert.equal((await limit.consume('k')).allowed, false);
      const rewarded = await limit.reward('k', 3);
      assert.equal(rewarded.consumed, 1);
      assert.deepEqual(await limit.consume('k'), { allowed: true, remaining: 0 });
    });

    test('block refuses a key for the given time, whatever it spent; reset forgets points and blocks', async () => {
      const limit = createRateLimiter(store, { name: 'manual', points: 10, durationSeconds: 60 });
      const blocked = await limit.block('k', 120);
      assert.equal(blocked.remaining, 0);
      assert.ok(blocked.resetSeconds >= 119 && blocked.resetSeconds <= 120);
      const refused = await limit.consume('k');
      assert.ok(!refused.allowed && refused.retryAfterSeconds > 60, 'the block, not the window, decides');
      await limit.reset('k');
      assert.deepEqual(await limit.get('k'), { consumed: 0, remaining: 10, resetSeconds: 0 });
      assert.deepEqual(await limit.consume('k'), { allowed: true, remaining: 9 });
      await limit.reset('never-seen'); // nothing to forget: not an error
    });

    test('limits of different names keep their own counters', async () => {
      const logins = createRateLimiter(store, { name: 'logins', points: 1, durationSeconds: 60 });
      const signups = createRateLimiter(store, { name: 'signups', points: 1, durationSeconds: 60 });
      assert.equal((await logins.consume('10.9.9.9')).allowed, true);
      assert.equal((await signups.consume('10.9.9.9')).allowed, true);
      assert.equal((await logins.consume('10.9.9.9')).allowed, false);
    });

    test('bad settings and counts are refused with a clear error', async () => {
      for (const options of [
        { name: 'x', points: 0, durationSeconds: 60 },
        { name: 'x', points: 1.5, durationSeconds: 60 },
        { name: 'x', points: 1, durationSeconds: 0 },
        { name: 'x', points: 1, durationSeconds: 60, blockSeconds: -1 },
      ]) {
        assert.throws(() => createRateLimiter(store, options), /must be a whole number/);
      }
      const limit = createRateLimiter(store, { name: 'counts', points: 3, durationSeconds: 60 });
      await assert.rejects(limit.consume('k', 0), /points to spend must be a whole number, 1 or more/);
      await assert.rejects(limit.penalty('k', 0.5), /points to spend/);
      await assert.rejects(limit.block('k', 0), /block seconds/);
    });
  });
}

behaviour('memory', undefined);
behaviour('redis', redisUrl);

describe('redis rate limits', () => {
  let raw: Redis;

  before(() => {
    raw = new Redis(redisUrl);
  });

  after(async () => {
    // A test Redis holds few keys: KEYS is fine here.
    const keys = await raw.keys(`${runPrefix}*`);
    if (keys.length) await raw.del(...keys);
    await raw.quit();
  });

  test('counters live under the store’s prefix as rl:<name>:<key>, and expire with their window', async () => {
    const store = openKeyValueStore(redisUrl, `${runPrefix}layout:`);
    try {
      const limit = createRateLimiter(store, { name: 'refresh-ip', points: 5, durationSeconds: 60 });
      await limit.consume('10.0.0.1', 2);
      assert.equal(await raw.get(`${runPrefix}layout:rl:refresh-ip:10.0.0.1`), '2');
      const ttl = await raw.ttl(`${runPrefix}layout:rl:refresh-ip:10.0.0.1`);
      assert.ok(ttl > 0 && ttl <= 60);
      assert.equal(await raw.exists('rl:refresh-ip:10.0.0.1'), 0);
    } finally {
      await store.close();
    }
  });

  test('every limiter on one store shares the counters (as instances behind one Redis do)', async () => {
    const first = openKeyValueStore(redisUrl, `${runPrefix}shared:`);
    const second = openKeyValueStore(redisUrl, `${runPrefix}shared:`);
    const elsewhere = openKeyValueStore(redisUrl, `${runPrefix}elsewhere:`);
    try {
      const options = { name: 'shared', points: 2, durationSeconds: 60 };
      assert.equal((await createRateLimiter(first, options).consume('k')).allowed, true);
      assert.equal((await createRateLimiter(second, options).consume('k')).allowed, true);
      assert.equal((await createRateLimiter(first, options).consume('k')).allowed, false);
      assert.equal((await createRateLimiter(elsewhere, options).consume('k')).allowed, true, 'another prefix');
    } finally {
      await Promise.all([first.close(), second.close(), elsewhere.close()]);
    }
  });

  test('with Redis down a limit still limits, counting in memory, and answers within the command timeout', async () => {
    const down = openKeyValueStore('redis://127.0.0.1:1', `${runPrefix}down:`);
    try {
      const limit = createRateLimiter(down, { name: 'down', points: 1, durationSeconds: 60 });
      const started = Date.now();
      assert.equal((await limit.consume('k')).allowed, true);
      assert.equal((await limit.consume('k')).allowed, false, 'not open: the stand-in counts');
      assert.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms`);
    } finally {
      await down.close();
    }
  });
});
