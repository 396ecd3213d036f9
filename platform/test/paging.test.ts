import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { z } from 'zod';
import {
  decodeCursor,
  encodeCursor,
  InvalidCursor,
  keysetPositionOf,
  keysetQuery,
  pagedList,
  pageParameters,
  readKeysetPage,
  readWindow,
  windowOf,
  type Database,
  type Keyset,
} from '../src/index.ts';
import { onEachStore } from './throwaway-stores.ts';

/**
 * Offset paging (platform/src/offset-paging.ts) and keyset paging (keyset-paging.ts) on both
 * stores: totals and windows, pages that stay whole while rows are added, cursors that refuse
 * tampering with a typed error, and a deep page read through the index.
 */
const schema = 'paging_test';
const newestFirst: Keyset = { columns: ['created_at', 'id'], direction: 'desc' };
const columns = ['id', 'body'];

describe('page parameters', () => {
  const parse = (limits: Parameters<typeof pageParameters>[0], input: Record<string, string>) => {
    const parameters = pageParameters(limits);
    return z.object({ number: parameters.number, size: parameters.size }).safeParse(input);
  };
  const catalogue = { first: 0, defaultSize: 50, maxSize: 10000 } as const;

  test('default, given, and counted from 0 whatever the first page is on the wire', () => {
    assert.deepEqual(parse(catalogue, {}).data, { number: 0, size: 50 });
    assert.deepEqual(parse(catalogue, { number: '3', size: '10' }).data, { number: 3, size: 10 });
    const files = { first: 1, defaultSize: 20, maxSize: 1000 } as const;
    assert.deepEqual(parse(files, {}).data, { number: 0, size: 20 });
    assert.deepEqual(parse(files, { number: '1', size: '1000' }).data, { number: 0, size: 1000 });
    assert.deepEqual(parse(files, { number: '4' }).data, { number: 3, size: 20 });
  });

  test('anything but decimal digits in range is refused with a message saying what is valid', () => {
    const messages = (limits: Parameters<typeof pageParameters>[0], input: Record<string, string>) =>
      parse(limits, input).error?.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
    for (const number of ['', '-1', '1.5', 'abc', ' 1', '0x10']) {
      assert.deepEqual(messages(catalogue, { number }), ['number: must be an integer ≥ 0'], `number ${number}`);
    }
    for (const size of ['', '0', '10001', '2e3']) {
      assert.deepEqual(messages(catalogue, { size }), ['size: must be an integer from 1 to 10000'], `size ${size}`);
    }
    assert.deepEqual(messages({ first: 1, defaultSize: 20, maxSize: 1000 }, { number: '0' }), [
      'number: must be an integer ≥ 1',
    ]);
  });
});

describe('cursors', () => {
  test('a cursor carries its position back, and only to the keyset it was made for', () => {
    const cursor = encodeCursor(newestFirst, ['2026-01-01T00:00:00.000001+00:00', '42']);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/, 'safe in a URL as it is');
    assert.deepEqual(decodeCursor(newestFirst, cursor), ['2026-01-01T00:00:00.000001+00:00', '42']);
    assert.throws(() => decodeCursor({ ...newestFirst, direction: 'asc' }, cursor), InvalidCursor);
    assert.throws(() => decodeCursor({ columns: ['id'], direction: 'desc' }, cursor), InvalidCursor);
  });

  test('anything malformed is InvalidCursor, with a stable code', () => {
    const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const tag = JSON.parse(Buffer.from(encodeCursor(newestFirst, ['a', 'b']), 'base64url').toString())[0] as string;
    for (const cursor of [
      '',
      '!!!',
      'not base64 at all?',
      'abc',
      json({ created_at: 'x' }),
      json([tag, 'only one value']),
      json([tag, 1, 2]),
      json([tag, 'a', 'b', 'c']),
      'A'.repeat(5000),
    ]) {
      assert.throws(
        () => decodeCursor(newestFirst, cursor),
        (error: unknown) => error instanceof InvalidCursor && error.code === 'ERR_INVALID_CURSOR',
        `cursor ${cursor.slice(0, 40)}`,
      );
    }
  });
});

onEachStore({ schema }, (store) => {
  let db: Database;
  const chat = (id: number) => db.knex('paging_test.messages').where({ chat: id });

  before(async () => {
    db = await store().open();
    await db.knex.raw(`
      create table paging_test.messages (
        id bigint generated always as identity primary key,
        chat int not null,
        created_at timestamptz not null,
        body text not null
      );
      create index messages_chat_created on paging_test.messages (chat, created_at, id);
    `);
    // Chat 1: 25 messages, three to a microsecond: ties broken by id, and times a JS Date cannot hold.
    await db.knex.raw(`
      insert into paging_test.messages (chat, created_at, body)
      select 1, timestamptz '2026-01-01 00:00:00+00' + (n / 3) * interval '1 microsecond', 'message ' || n
      from generate_series(0, 24) as n`);
  });

  test('offset paging: the total, the window in order, and nothing read past the end', async () => {
    const query = chat(1);
    const page = { number: 1, size: 10 };
    const rows = await readWindow<{ id: string; body: string }>(query, columns, 'id', windowOf(page));
    assert.equal(rows.total, 25);
    assert.deepEqual(
      rows.rows.map((row) => row.body),
      Array.from({ length: 10 }, (_, n) => `message ${n + 10}`),
    );
    assert.deepEqual(pagedList(page, rows), { items: rows.rows, total: 25, page: 1, size: 10, pages: 3 });
    assert.deepEqual(
      await readWindow(query, columns, 'id', windowOf({ number: 2, size: 10 })).then((r) => r.rows.length),
      5,
    );
    // Far past the end (an offset PostgreSQL would refuse as out of range): no rows, the total still.
    assert.deepEqual(await readWindow(query, columns, 'id', windowOf({ number: 1e20, size: 10 })), {
      rows: [],
      total: 25,
    });
    assert.deepEqual(pagedList({ number: 0, size: 10 }, { rows: [], total: 0 }).pages, 0);
  });

  test('keyset paging reads every row once, in order, while newer rows arrive between pages', async () => {
    const expected = (await chat(1)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .select('id')) as { id: string }[];
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof readKeysetPage<{ id: string; body: string }>>> = await readKeysetPage<{
        id: string;
        body: string;
      }>(chat(1), columns, newestFirst, { limit: 10, after });
      assert.deepEqual(Object.keys(page.rows[0] ?? {}).sort(), ['body', 'id'], 'only the columns asked for');
      seen.push(...page.rows.map((row) => row.id));
      after = page.next;
      pages += 1;
      // Newer messages would shift every later offset page by one; they never reach a keyset page.
      await db.knex('paging_test.messages').insert({ chat: 1, created_at: db.knex.fn.now(), body: 'newer' });
    } while (after);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      expected.map((row) => row.id),
    );
    await db.knex('paging_test.messages').where({ body: 'newer' }).delete();
  });

  test('a page that ends exactly at the last row has no next cursor; a row position starts a page', async () => {
    const first = await readKeysetPage<{ id: string }>(chat(1), ['id'], newestFirst, { limit: 20 });
    assert.ok(first.next);
    const last = await readKeysetPage<{ id: string }>(chat(1), ['id'], newestFirst, { limit: 5, after: first.next });
    assert.equal(last.rows.length, 5);
    assert.equal(last.next, null, 'limit + 1 found no sixth row');

    // A wire that names a row (messenger's `from`) rather than handing out cursors.
    const from = first.rows[9]!.id;
    const position = await keysetPositionOf(chat(1).where({ id: from }), newestFirst);
    assert.ok(position);
    const after = await readKeysetPage<{ id: string }>(chat(1), ['id'], newestFirst, { limit: 3, after: position });
    assert.deepEqual(
      after.rows.map((row) => row.id),
      first.rows.slice(10, 13).map((row) => row.id),
    );
    assert.equal(await keysetPositionOf(chat(1).where({ id: -1 }), newestFirst), null);
    assert.deepEqual((await readKeysetPage(chat(2), ['id'], newestFirst, { limit: 3 })).rows, []);
  });

  test('a well-formed cursor holding values of the wrong type is InvalidCursor, not a server error', async () => {
    for (const position of [
      ['not a time', '1'],
      ['2026-01-01T00:00:00+00:00', 'not a number'],
      ['2026-13-45T99:00:00+00:00', '1'],
      ['2026-01-01T00:00:00+00:00', '99999999999999999999999'],
    ]) {
      await assert.rejects(
        readKeysetPage(chat(1), ['id'], newestFirst, { limit: 5, after: encodeCursor(newestFirst, position) }),
        InvalidCursor,
        position.join(', '),
      );
    }
    await assert.rejects(readKeysetPage(chat(1), ['id'], newestFirst, { limit: 5, after: 'garbage' }), InvalidCursor);
  });

  test('a deep keyset page is a range of the index, not a sort of the table', async () => {
    await db.knex.raw(`
      insert into paging_test.messages (chat, created_at, body)
      select 3, timestamptz '2026-01-01 00:00:00+00' + n * interval '1 second', repeat('x', 100)
      from generate_series(1, 20000) as n`);
    await db.knex.raw('analyze paging_test.messages');
    const middle = await keysetPositionOf(
      chat(3)
        .where({ body: 'x'.repeat(100) })
        .offset(15000),
      newestFirst,
    );
    assert.ok(middle);
    const plan = (
      (await db.knex.raw(`explain ${keysetQuery(chat(3), columns, newestFirst, 10, middle).toString()}`)) as {
        rows: { 'QUERY PLAN': string }[];
      }
    ).rows
      .map((row) => row['QUERY PLAN'])
      .join('\n');
    assert.match(plan, /Index Scan Backward using messages_chat_created/, plan);
    assert.match(plan, /Index Cond: .*ROW\(created_at, id\) < ROW/, plan);
    assert.doesNotMatch(plan, /Sort|Seq Scan/, plan);
  });
});
