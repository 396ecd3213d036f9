import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { openKeyValueStore, type KeyValueStore } from '../src/index.ts';

/**
 * One set of behaviour tests, run against the in-process store and a real Redis, so the two
 * implementations cannot drift apart. Redis keys live under a random prefix, removed at the end.
 */
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `usher-test-${randomBytes(5).toString('hex')}:`;

/** Waits for a message on `channel`, or resolves `undefined` after `ms`. */
function nextMessage(store: KeyValueStore, channel: string, ms: number) {
  return new Promise<string | undefined>((resolve, reject) => {
    let unsubscribe: (() => Promise<void>) | undefined;
    const timer = setTimeout(() => {
      void unsubscribe?.().then(() => resolve(undefined), reject);
    }, ms);
    store
      .subscribe(channel, (message) => {
        clearTimeout(timer);
        void unsubscribe?.().then(() => resolve(message), reject);
      })
      .then((off) => (unsubscribe = off), reject);
  });
}

function behaviour(kind: 'memory' | 'redis', url: string | undefined) {
  describe(`${kind} key-value store`, () => {
    const opened: KeyValueStore[] = [];
    let store: KeyValueStore;
    const open = (prefix: string) => {
      const created = openKeyValueStore(url, prefix);
      opened.push(created);
      return created;
    };

    before(() => {
      store = open(`${runPrefix}main:`);
    });

    after(async () => {
      await Promise.all(opened.map((each) => each.close()));
    });

    test('is the expected kind and keeps its prefix', () => {
      assert.equal(store.kind, kind);
      assert.equal(store.prefix, `${runPrefix}main:`);
      assert.equal(store.redis === null, kind === 'memory');
    });

    test('get returns null for a missing key and the value after set', async () => {
      assert.equal(await store.get('missing'), null);
      await store.set('plain', 'value');
      assert.equal(await store.get('plain'), 'value');
      await store.set('plain', 'replaced');
      assert.equal(await store.get('plain'), 'replaced');
    });

    test('a value set with a TTL expires', async () => {
      await store.set('short', 'soon gone', 1);
      await store.set('lasting', 'stays');
      assert.equal(await store.get('short'), 'soon gone');
      await sleep(1200);
      assert.equal(await store.get('short'), null);
      assert.equal(await store.get('lasting'), 'stays');
    });

    test('del removes several keys at once and ignores missing ones', async () => {
      await store.set('del:a', '1');
      await store.set('del:b', '2');
      await store.set('del:c', '3');
      await store.del('del:a', 'del:b', 'del:never-set');
      assert.equal(await store.get('del:a'), null);
      assert.equal(await store.get('del:b'), null);
      assert.equal(await store.get('del:c'), '3');
      await store.del(); // no keys: a no-op, not an error
      assert.equal(await store.get('del:c'), '3');
    });

    test('addToSet collects members and setMembers reads them', async () => {
      assert.deepEqual(await store.setMembers('set:empty'), []);
      await store.addToSet('set:grants', 'g1', 60);
      await store.addToSet('set:grants', 'g2', 60);
      await store.addToSet('set:grants', 'g1', 60);
      assert.deepEqual((await store.setMembers('set:grants')).sort(), ['g1', 'g2']);
    });

    test('a set expires after its TTL', async () => {
      await store.addToSet('set:brief', 'm', 1);
      assert.deepEqual(await store.setMembers('set:brief'), ['m']);
      await sleep(1200);
      assert.deepEqual(await store.setMembers('set:brief'), []);
    });

    test('addToSet extends a set lifetime but never shortens it', async () => {
      await store.addToSet('set:extended', 'a', 1);
      await store.addToSet('set:extended', 'b', 5); // extends to 5 s
      await store.addToSet('set:shortened', 'a', 5);
      await store.addToSet('set:shortened', 'b', 1); // must not shorten to 1 s
      await sleep(1200);
      assert.deepEqual((await store.setMembers('set:extended')).sort(), ['a', 'b']);
      assert.deepEqual((await store.setMembers('set:shortened')).sort(), ['a', 'b']);
    });

    test('publish reaches every subscriber and stops after unsubscribe', async () => {
      const channel = 'revocations';
      const first: string[] = [];
      const second: string[] = [];
      const offFirst = await store.subscribe(channel, (message) => first.push(message));
      const offSecond = await store.subscribe(channel, (message) => second.push(message));
      await store.publish(channel, 'one');
      await waitFor(() => first.length === 1 && second.length === 1);
      assert.deepEqual(first, ['one']);
      assert.deepEqual(second, ['one']);

      await offFirst();
      await store.publish(channel, 'two');
      await waitFor(() => second.length === 2);
      assert.deepEqual(second, ['one', 'two']);

      await offSecond();
      await store.publish(channel, 'three');
      await sleep(200);
      assert.deepEqual(first, ['one']);
      assert.deepEqual(second, ['one', 'two']);
    });

    test('a message on another channel is not delivered', async () => {
      const received = nextMessage(store, 'channel-a', 300);
      await sleep(50);
      await store.publish('channel-b', 'elsewhere');
      assert.equal(await received, undefined);
    });

    test('stores with different prefixes do not see each other', async () => {
      const left = open(`${runPrefix}left:`);
      const right = open(`${runPrefix}right:`);
      await left.set('shared-name', 'left value');
      await right.set('shared-name', 'right value');
      await left.addToSet('shared-set', 'left member', 60);
      assert.equal(await left.get('shared-name'), 'left value');
      assert.equal(await right.get('shared-name'), 'right value');
      assert.deepEqual(await right.setMembers('shared-set'), []);
      await right.del('shared-name');
      assert.equal(await left.get('shared-name'), 'left value');

      const heardOnRight = nextMessage(right, 'events', 300);
      const heardOnLeft = nextMessage(left, 'events', 1000);
      await sleep(50);
      await left.publish('events', 'for left only');
      assert.equal(await heardOnLeft, 'for left only');
      assert.equal(await heardOnRight, undefined);
    });

    test('ping answers true while open', async () => {
      assert.equal(await store.ping(), true);
    });

    test('close ends the store', async () => {
      const closing = open(`${runPrefix}closing:`);
      await closing.set('k', 'v');
      await closing.close();
      if (kind === 'redis') {
        assert.equal(await closing.ping(), false);
        assert.equal(closing.redis?.status, 'end');
      } else {
        assert.equal(await closing.get('k'), null); // the memory store drops its data
      }
    });
  });
}

async function waitFor(condition: () => boolean, ms = 2000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await sleep(10);
  }
}

behaviour('memory', undefined);
behaviour('redis', redisUrl);

let raw: Redis;

before(() => {
  raw = new Redis(redisUrl);
});

after(async () => {
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${runPrefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await raw.del(...keys);
  } while (cursor !== '0');
  await raw.quit();
});

describe('redis key layout', () => {
  test('keys and channels are stored under the prefix', async () => {
    const store = openKeyValueStore(redisUrl, `${runPrefix}layout:`);
    try {
      await store.set('visible', 'yes');
      assert.equal(await raw.get(`${runPrefix}layout:visible`), 'yes');
      assert.equal(await raw.get('visible'), null);

      const listener = new Redis(redisUrl);
      try {
        const heard = new Promise<string>((resolve) => listener.on('message', (channel: string) => resolve(channel)));
        await listener.subscribe(`${runPrefix}layout:news`);
        await store.publish('news', 'hello');
        assert.equal(await heard, `${runPrefix}layout:news`);
      } finally {
        listener.disconnect();
      }
    } finally {
      await store.close();
    }
  });
});
