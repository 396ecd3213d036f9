import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startTcpRelay, type TcpRelay } from '@usher/test-support';
import {
  defaultDatabaseTimeouts,
  defaultRedisTimeouts,
  isStoreUnavailable,
  openDatabase,
  openKeyValueStore,
  StoreUnavailable,
  type Database,
  type KeyValueStore,
} from '../src/index.ts';

/**
 * Outages driven through a TCP relay between the store client and the machine's PostgreSQL or
 * Redis (never by stopping those): every call is bounded, fails with an error isStoreUnavailable
 * recognises, and the client recovers by itself once the store answers again.
 */
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const target = (url: string, port: number) => ({
  host: new URL(url).hostname,
  port: Number(new URL(url).port) || port,
});

/** How long `work` takes to settle, and its error if it failed. */
async function timed(work: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await work();
    return { ms: Date.now() - started, error: null };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not true within ${withinMs} ms`);
    await sleep(100);
  }
}

describe('Redis behind a relay', () => {
  const { commandTimeoutMs } = defaultRedisTimeouts;
  let relay: TcpRelay;
  let store: KeyValueStore;

  before(async () => {
    relay = await startTcpRelay(target(redisUrl, 6379));
    store = openKeyValueStore(relay.urlFor(redisUrl), `usher-test-${randomBytes(5).toString('hex')}:`);
    await eventually(() => store.ping(), 5000);
  });

  after(async () => {
    await store?.del('outage');
    await store?.close();
    await relay?.close();
  });

  test('refused: calls fail at once with StoreUnavailable, ping is false at once, and Redis is used again when back', async () => {
    await relay.set('refuse');
    relay.cut();
    await eventually(async () => !(await store.ping()), 2000);
    const read = await timed(() => store.get('outage'));
    assert.ok(read.error instanceof StoreUnavailable, String(read.error));
    assert.ok(read.ms < 100, `a read failed after ${read.ms} ms`);
    const write = await timed(() => store.set('outage', 'x', 60));
    assert.ok(isStoreUnavailable(write.error) && write.ms < 100, `a write took ${write.ms} ms`);
    const ping = await timed(() => store.ping());
    assert.ok(ping.ms < 100, `ping took ${ping.ms} ms`);

    await relay.set('pass');
    await eventually(() => store.ping(), 3000);
    await store.set('outage', 'back', 60);
    assert.equal(await store.get('outage'), 'back');
  });

  test('silent: calls fail within the command timeout, and Redis is used again when it answers', async () => {
    await relay.set('silence');
    const read = await timed(() => store.get('outage'));
    assert.ok(read.error instanceof StoreUnavailable, String(read.error));
    assert.ok(read.ms < commandTimeoutMs + 300, `a read failed after ${read.ms} ms`);
    for (let i = 0; i < 3; i += 1) {
      const again = await timed(() => store.set('outage', 'x', 60));
      assert.ok(isStoreUnavailable(again.error), String(again.error));
      assert.ok(again.ms < commandTimeoutMs + 300, `a write failed after ${again.ms} ms`);
    }
    const ping = await timed(() => store.ping());
    assert.ok(ping.ms < commandTimeoutMs + 300, `ping took ${ping.ms} ms`);

    await relay.set('pass');
    await eventually(() => store.ping(), 3000);
    await store.set('outage', 'answered', 60);
    assert.equal(await store.get('outage'), 'answered');
  });
});

describe('PostgreSQL behind a relay', () => {
  const { connectTimeoutMs, statementTimeoutMs } = defaultDatabaseTimeouts;
  const name = `usher_outage_${randomBytes(4).toString('hex')}`;
  let workDir: string;
  let relay: TcpRelay;
  let db: Database;

  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  before(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'usher-outage-'));
    await mkdir(path.join(workDir, 'no-migrations'));
    await admin(`create database ${name}`);
    relay = await startTcpRelay(target(serverUrl, 5432));
    const url = new URL(relay.urlFor(serverUrl));
    url.pathname = `/${name}`;
    db = await openDatabase({
      databaseUrl: url.toString(),
      dataDir: workDir,
      schema: 'public',
      migrations: path.join(workDir, 'no-migrations'),
      poolMax: 2,
    });
  });

  after(async () => {
    await db?.close();
    await relay?.close();
    await admin(`drop database if exists ${name} with (force)`);
    await rm(workDir, { recursive: true, force: true });
  });

  test('a statement running past the statement timeout is cancelled, as a store that is unavailable', async () => {
    const slow = await timed(() => db.knex.raw('select pg_sleep(5)'));
    assert.ok(isStoreUnavailable(slow.error), String(slow.error));
    assert.ok(slow.ms < statementTimeoutMs + 500, `cancelled after ${slow.ms} ms`);
    assert.ok(await db.ping());
  });

  test('silent: queries fail within about a second, ping too, and the pool recovers by itself', async () => {
    await db.knex.raw('select 1'); // connections are open when the silence starts
    await relay.set('silence');
    const bound = connectTimeoutMs + statementTimeoutMs + 1000;
    for (let i = 0; i < 3; i += 1) {
      const query = await timed(() => db.knex.raw('select 1'));
      assert.ok(isStoreUnavailable(query.error), String(query.error));
      assert.ok(query.ms < bound, `a query failed after ${query.ms} ms`);
    }
    const ping = await timed(() => db.ping().then((ok) => assert.equal(ok, false)));
    assert.equal(ping.error, null);
    assert.ok(ping.ms < bound, `ping took ${ping.ms} ms`);

    await relay.set('pass');
    await eventually(() => db.ping(), 5000);
    assert.deepEqual((await db.knex.raw('select 1 as one')).rows, [{ one: 1 }]);
  });

  test('refused: queries fail at once with an error isStoreUnavailable recognises', async () => {
    await relay.set('refuse');
    relay.cut();
    const query = await timed(() => db.knex.raw('select 1'));
    assert.ok(isStoreUnavailable(query.error), String(query.error));
    assert.ok(query.ms < connectTimeoutMs, `a query failed after ${query.ms} ms`);
    await relay.set('pass');
    await eventually(() => db.ping(), 5000);
  });
});

describe('the embedded database', () => {
  test('gets the connect timeout only: its one shared session carries no statement or idle limits', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'usher-outage-embedded-'));
    await mkdir(path.join(dataDir, 'no-migrations'));
    const db = await openDatabase({ dataDir, schema: 'public', migrations: path.join(dataDir, 'no-migrations') });
    try {
      const setting = async (name: string) =>
        ((await db.knex.raw(`select current_setting('${name}') as value`)).rows as { value: string }[])[0]?.value;
      assert.equal(await setting('statement_timeout'), '0');
      assert.equal(await setting('idle_in_transaction_session_timeout'), '0');
      // A statement longer than the server default limit runs to its end here.
      await db.knex.raw(`select pg_sleep(${(defaultDatabaseTimeouts.statementTimeoutMs + 300) / 1000})`);
    } finally {
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
