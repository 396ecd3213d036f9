import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import {
  constraintName,
  isCheckViolation,
  isConnectionError,
  isDeadlock,
  isForeignKeyViolation,
  isSerializationFailure,
  isTransactionConflict,
  isUniqueViolation,
  openDatabase,
  sqlState,
  type Database,
} from '../src/index.ts';
import { onEachStore } from './throwaway-stores.ts';

/**
 * The database error helpers (platform/src/database-errors.ts) on errors each store really raises:
 * constraint violations, conflicts between transactions, and connections that fail or break.
 */
const schema = 'errors_test';

/** The error `work` rejects with (it must reject). */
async function errorOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** knex would print each failed connection attempt to the console; these failures are the point. */
const quiet: Knex.Config['log'] = { warn() {}, error() {}, debug() {}, deprecate() {} };

const classifiers = {
  isUniqueViolation,
  isForeignKeyViolation,
  isCheckViolation,
  isSerializationFailure,
  isDeadlock,
  isConnectionError,
};

/** Exactly the classifiers named hold for `error`. */
function assertOnly(error: unknown, ...expected: (keyof typeof classifiers)[]): void {
  const held = Object.entries(classifiers)
    .filter(([, classify]) => classify(error))
    .map(([name]) => name);
  assert.deepEqual(held, expected, `for ${String(error)}`);
}

onEachStore({ schema }, (store) => {
  let db: Database;

  before(async () => {
    db = await store().open();
    await db.knex.raw(`
      create table errors_test.parents (id int primary key, email text not null constraint parents_email_unique unique);
      create table errors_test.children (
        id int primary key,
        parent_id int not null constraint children_parent_fk references errors_test.parents (id),
        age int not null constraint children_age_positive check (age > 0)
      );
      insert into errors_test.parents values (1, 'a@example.com'), (2, 'b@example.com');
      create table errors_test.accounts (id int primary key, balance int not null);
      insert into errors_test.accounts values (1, 100), (2, 100);
    `);
  });

  test('a duplicate key is a unique violation naming its constraint', async () => {
    const error = await errorOf(() => db.knex('errors_test.parents').insert({ id: 3, email: 'a@example.com' }));
    assertOnly(error, 'isUniqueViolation');
    assert.equal(sqlState(error), '23505');
    assert.equal(constraintName(error), 'parents_email_unique');
  });

  test('a missing parent is a foreign-key violation; a failed check a check violation', async () => {
    const orphan = await errorOf(() => db.knex('errors_test.children').insert({ id: 1, parent_id: 99, age: 3 }));
    assertOnly(orphan, 'isForeignKeyViolation');
    assert.equal(constraintName(orphan), 'children_parent_fk');
    const negative = await errorOf(() => db.knex('errors_test.children').insert({ id: 1, parent_id: 1, age: -1 }));
    assertOnly(negative, 'isCheckViolation');
    assert.equal(constraintName(negative), 'children_age_positive');
  });

  test('a syntax error or a missing table is none of them, and names no constraint', async () => {
    for (const sql of ['selec 1', 'select * from errors_test.nowhere']) {
      const error = await errorOf(() => db.knex.raw(sql));
      assertOnly(error);
      assert.equal(constraintName(error), undefined);
      assert.ok(sqlState(error));
    }
    assertOnly(new Error('plain'));
    assertOnly(null);
    assert.equal(sqlState({ code: 'ECONNREFUSED' }), undefined, 'a socket code is no SQLSTATE');
  });

  test('a conflict between transactions is a serialization failure or a deadlock', async () => {
    if (store().kind === 'embedded') {
      // One session serves every connection of the embedded database: two transactions never overlap,
      // so no real conflict can happen. The codes still come back over the wire as from a server.
      const serialization = await errorOf(() =>
        db.knex.raw(`do $$ begin raise exception 'could not serialize access' using errcode = '40001'; end $$`),
      );
      const deadlock = await errorOf(() =>
        db.knex.raw(`do $$ begin raise exception 'deadlock detected' using errcode = '40P01'; end $$`),
      );
      assertOnly(serialization, 'isSerializationFailure');
      assertOnly(deadlock, 'isDeadlock');
      assert.ok(isTransactionConflict(serialization) && isTransactionConflict(deadlock));
      return;
    }
    // Plain pg clients: a knex transaction opened without a handler does not reject a failed commit.
    const url = store().location.databaseUrl;
    const [first, second] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
    await Promise.all([first.connect(), second.connect()]);
    try {
      // Write skew under serializable: each reads both rows and moves money out of one of them.
      for (const client of [first, second]) {
        await client.query('begin isolation level serializable');
        await client.query('select sum(balance) from errors_test.accounts');
      }
      await first.query('update errors_test.accounts set balance = balance - 150 where id = 1');
      await second.query('update errors_test.accounts set balance = balance - 150 where id = 2');
      await first.query('commit');
      const serialization = await errorOf(() => second.query('commit'));
      assertOnly(serialization, 'isSerializationFailure');
      assert.ok(isTransactionConflict(serialization));

      // Each holds one row and waits for the other's: PostgreSQL cancels one of them.
      for (const client of [first, second]) await client.query('begin');
      await first.query('update errors_test.accounts set balance = 0 where id = 1');
      await second.query('update errors_test.accounts set balance = 0 where id = 2');
      const outcomes = await Promise.allSettled([
        first.query('update errors_test.accounts set balance = 1 where id = 2'),
        second.query('update errors_test.accounts set balance = 1 where id = 1'),
      ]);
      const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
      assert.equal(failed.length, 1, 'one of the two is cancelled');
      assertOnly(failed[0]?.reason, 'isDeadlock');
      assert.ok(isTransactionConflict(failed[0]?.reason));
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });

  test('a pool that cannot hand out a connection in time is a connection error', async () => {
    const url = store().location.databaseUrl ?? db.embedded?.url;
    assert.ok(url);
    const knex = knexFactory({
      client: 'pg',
      log: quiet,
      connection: url,
      pool: { min: 0, max: 1 },
      acquireConnectionTimeout: 300,
    });
    const holder = await knex.transaction();
    try {
      const error = await errorOf(() => knex.raw('select 1'));
      assertOnly(error, 'isConnectionError');
    } finally {
      await holder.rollback();
      await knex.destroy();
    }
  });

  test('a connection the database ends is a connection error', async () => {
    if (store().kind === 'server') {
      // A query running when the server ends its connection (an administrator, a failover).
      const sleeping = errorOf(() => db.knex.raw(`select pg_sleep(10), 'errors-test-victim'`));
      const other = await store().open();
      const victim = `select pid from pg_stat_activity where query like '%errors-test-victim%' and pid <> pg_backend_pid()`;
      await until(async () => ((await other.knex.raw(victim)) as { rows: unknown[] }).rows.length > 0);
      await other.knex.raw(`select pg_terminate_backend(pid) from (${victim}) as running`);
      assertOnly(await sleeping, 'isConnectionError');
      return;
    }
    // The embedded database stops under a connected client (its host process going away).
    const dataDir = await mkdtemp(path.join(tmpdir(), 'usher-errors-'));
    const stopping = await openDatabase({ dataDir, schema });
    try {
      await stopping.knex.raw('select 1');
      await stopping.embedded?.stop();
      const broken = await errorOf(() => stopping.knex.raw('select 1'));
      assertOnly(broken, 'isConnectionError');
      const refused = await errorOf(() => stopping.knex.raw('select 1'));
      assertOnly(refused, 'isConnectionError');
    } finally {
      await stopping.knex.destroy();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('connections that never work', () => {
  let silent: Server;
  let silentPort = 0;
  let closedPort = 0;
  const sockets = new Set<Socket>();
  const knexes: Knex[] = [];
  const connect = (connection: Knex.PgConnectionConfig) => {
    const knex = knexFactory({ client: 'pg', log: quiet, connection, pool: { min: 0, max: 1 } });
    knexes.push(knex);
    return knex;
  };

  before(async () => {
    // Accepts connections and never answers: a database host that hangs.
    silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
  });

  after(async () => {
    await Promise.all(knexes.map((knex) => knex.destroy()));
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test('refused, on one address or on each of several (localhost), is a connection error', async () => {
    const refused = await errorOf(() =>
      connect({ host: '127.0.0.1', port: closedPort, user: 'postgres' }).raw('select 1'),
    );
    assertOnly(refused, 'isConnectionError');
    const everywhere = await errorOf(() =>
      connect({ host: 'localhost', port: closedPort, user: 'postgres' }).raw('select 1'),
    );
    assertOnly(everywhere, 'isConnectionError');
  });

  test('a connect timeout is a connection error', async () => {
    const error = await errorOf(() =>
      connect({ host: '127.0.0.1', port: silentPort, user: 'postgres', connectionTimeoutMillis: 300 }).raw('select 1'),
    );
    assertOnly(error, 'isConnectionError');
  });
});
