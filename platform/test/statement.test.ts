import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openDatabase, statement, type Database } from '../src/index.ts';

/**
 * Hot statements (platform/src/database.ts): named prepared statements on a PostgreSQL server,
 * unnamed ones on the embedded server (its one session is shared by every connection), knex.raw
 * inside a transaction; and a prepared statement that names its columns keeps working after a
 * migration adds one.
 */
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let workDir: string;
let noMigrations: string;

before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'usher-statement-'));
  noMigrations = path.join(workDir, 'no-migrations');
  await mkdir(noMigrations);
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function preparedNames(db: Database): Promise<string[]> {
  const { rows } = (await db.knex.raw('select name from pg_prepared_statements order by name')) as {
    rows: { name: string }[];
  };
  return rows.map((row) => row.name);
}

async function createTable(db: Database) {
  await db.knex.raw('create table films (id int primary key, title text not null)');
}

describe('statement on a PostgreSQL server', () => {
  const name = `usher_statement_${randomBytes(4).toString('hex')}`;
  let db: Database;

  before(async () => {
    await withAdmin((client) => client.query(`create database ${name}`));
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    // One pooled connection, so that every query below sees the same session.
    db = await openDatabase({
      databaseUrl: url.toString(),
      dataDir: workDir,
      schema: 'public',
      migrations: noMigrations,
      poolMax: 1,
    });
    await createTable(db);
  });

  after(async () => {
    await db?.close();
    await withAdmin((client) => client.query(`drop database if exists ${name} with (force)`));
  });

  test('runs as a named prepared statement, prepared once per connection', async () => {
    const insert = statement<never>(db.knex, 'films_insert', 'insert into films (id, title) values ($1, $2)');
    const byId = statement<{ id: number; title: string }>(
      db.knex,
      'films_by_id',
      'select id, title from films where id = $1',
    );
    await insert([1, 'Metropolis']);
    await insert([2, 'Nosferatu']);
    assert.deepEqual(await byId([2]), [{ id: 2, title: 'Nosferatu' }]);
    assert.deepEqual(await byId([3]), []);
    assert.deepEqual(await preparedNames(db), ['films_by_id', 'films_insert']);
  });

  test('keeps working after a migration adds a column to its table', async () => {
    const byId = statement<{ id: number; title: string }>(
      db.knex,
      'films_by_id',
      'select id, title from films where id = $1',
    );
    assert.deepEqual(await byId([1]), [{ id: 1, title: 'Metropolis' }]);
    await db.knex.raw('alter table films add column year int');
    assert.deepEqual(await byId([1]), [{ id: 1, title: 'Metropolis' }]);
  });

  test('joins a transaction it is given, and rolls back with it', async () => {
    const insert = statement<never>(db.knex, 'films_insert', 'insert into films (id, title) values ($1, $2)');
    await assert.rejects(
      db.knex.transaction(async (trx) => {
        await insert([10, 'Sunrise'], trx);
        const { rows } = (await trx.raw('select title from films where id = 10')) as { rows: { title: string }[] };
        assert.deepEqual(rows, [{ title: 'Sunrise' }]);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    const byId = statement<{ title: string }>(db.knex, 'films_title', 'select title from films where id = $1');
    assert.deepEqual(await byId([10]), []);
  });

  test('a database error reaches the caller and the connection stays usable', async () => {
    const insert = statement<never>(db.knex, 'films_insert', 'insert into films (id, title) values ($1, $2)');
    await assert.rejects(insert([1, 'Metropolis again']), (error: { code?: string }) => error.code === '23505');
    const count = statement<{ n: number }>(db.knex, 'films_count', 'select count(*)::int as n from films');
    assert.deepEqual(await count([]), [{ n: 2 }]);
  });

  test('runs unnamed when the database is opened with preparedStatements: false (a transaction pooler)', async () => {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const pooled = await openDatabase({
      databaseUrl: url.toString(),
      dataDir: workDir,
      schema: 'public',
      migrations: noMigrations,
      poolMax: 1,
      preparedStatements: false,
    });
    try {
      const byId = statement<{ title: string }>(pooled.knex, 'films_by_id', 'select title from films where id = $1');
      assert.deepEqual(await byId([1]), [{ title: 'Metropolis' }]);
      assert.deepEqual(await preparedNames(pooled), []);
    } finally {
      await pooled.close();
    }
  });

  test('refuses placeholders out of order, repeated, or knex-style', () => {
    assert.throws(() => statement(db.knex, 'bad', 'select $2, $1'), /once each and in order/);
    assert.throws(() => statement(db.knex, 'bad', 'select $1 where $1 = 1'), /once each and in order/);
    assert.throws(() => statement(db.knex, 'bad', 'select ? as a'), /no "\?"/);
  });
});

describe('statement on the embedded server', () => {
  let db: Database;

  before(async () => {
    db = await openDatabase({
      dataDir: path.join(workDir, 'embedded'),
      schema: 'statement_test',
      migrations: noMigrations,
    });
    await db.knex.raw('create schema if not exists statement_test');
    await createTable(db);
  });

  after(async () => {
    await db?.close();
  });

  test('runs unnamed, leaving no name in the session every connection shares', async () => {
    const insert = statement<never>(db.knex, 'films_insert', 'insert into films (id, title) values ($1, $2)');
    const byId = statement<{ title: string }>(db.knex, 'films_by_id', 'select title from films where id = $1');
    await insert([1, 'Metropolis']);
    await insert([2, 'Nosferatu']);
    assert.deepEqual(await byId([1]), [{ title: 'Metropolis' }]);
    assert.deepEqual(await preparedNames(db), []);
    await db.knex.transaction(async (trx) => {
      await insert([3, 'Sunrise'], trx);
    });
    assert.deepEqual(await byId([3]), [{ title: 'Sunrise' }]);
  });
});
