import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { sqlState } from './database-errors.ts';

/**
 * Keyset (cursor) paging: each page starts after the key of the last row of the one before, so rows
 * added or removed meanwhile never shift a page (no row twice, none skipped), and a deep page costs
 * what the first does: the condition is a range on the index, not an offset counted through.
 */

/**
 * The order of a list: key columns (NOT NULL), the last one unique (the id), all in one direction.
 * One direction, because `(a, b) < (x, y)` is then exactly a range of an index on (a, b), read
 * forwards or backwards.
 */
export interface Keyset {
  columns: readonly [string, ...string[]];
  direction: 'asc' | 'desc';
}

/** The key values of one row, as PostgreSQL prints them: where a page ends and the next begins. */
export type KeysetPosition = readonly string[];

/** A cursor that is not one this list handed out; services answer it with their own 400. */
export class InvalidCursor extends Error {
  readonly code = 'ERR_INVALID_CURSOR';
  constructor(reason: string) {
    super(`invalid cursor: ${reason}`);
    this.name = 'InvalidCursor';
  }
}

export interface KeysetPageRequest {
  /** Rows per page, at least 1 (the service checks its own bounds first). */
  limit: number;
  /** Where the page starts: a cursor from an earlier page, or a row's position; none for the first page. */
  after?: string | KeysetPosition | null | undefined;
}

export interface KeysetPage<T> {
  rows: T[];
  /** The cursor of the next page, or null when this page is the last. */
  next: string | null;
}

const hiddenColumn = (index: number) => `__keyset_${index}`;
const maxCursorLength = 4096;

/** Cursors name the keyset they belong to: one from another list (or order) is refused, not misread. */
function tagOf(keyset: Keyset): string {
  return createHash('sha256')
    .update(`${keyset.direction}\0${keyset.columns.join('\0')}`)
    .digest('base64url')
    .slice(0, 8);
}

export function encodeCursor(keyset: Keyset, position: KeysetPosition): string {
  if (position.length !== keyset.columns.length) throw new Error('a keyset position has one value per key column');
  return Buffer.from(JSON.stringify([tagOf(keyset), ...position])).toString('base64url');
}

/** The position a cursor holds; anything malformed, or made for another keyset, is InvalidCursor. */
export function decodeCursor(keyset: Keyset, cursor: string): KeysetPosition {
  if (!cursor || cursor.length > maxCursorLength || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursor('not a cursor');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor('not a cursor');
  }
  if (!Array.isArray(parsed) || !parsed.every((value) => typeof value === 'string')) {
    throw new InvalidCursor('not a cursor');
  }
  const [tag, ...position] = parsed as string[];
  if (tag !== tagOf(keyset) || position.length !== keyset.columns.length) {
    throw new InvalidCursor('made for another list');
  }
  return position;
}

/** knex builds a raw fragment through the client of the query, so callers need not pass knex itself. */
function rawOf(query: Knex.QueryBuilder, sql: string, bindings: readonly unknown[]): Knex.Raw {
  return (query as unknown as { client: { raw(sql: string, bindings: readonly unknown[]): Knex.Raw } }).client.raw(
    sql,
    bindings,
  );
}

/**
 * Each key as text from to_json, which writes dates in ISO 8601 with every fraction digit whatever
 * the session's DateStyle: read back into a JS Date, a timestamp would lose its microseconds and the
 * next page would skip the rows between.
 */
function keyColumns(query: Knex.QueryBuilder, keyset: Keyset): Knex.Raw[] {
  return keyset.columns.map((column, index) =>
    rawOf(query, `to_json(??) #>> '{}' as ??`, [column, hiddenColumn(index)]),
  );
}

function positionOf(row: Record<string, unknown>, keyset: Keyset): KeysetPosition {
  return keyset.columns.map((column, index) => {
    const value = row[hiddenColumn(index)];
    if (typeof value !== 'string')
      throw new Error(`keyset column ${column} is null in a row: key columns must be NOT NULL`);
    return value;
  });
}

function withoutKeys<T>(row: Record<string, unknown>, keyset: Keyset): T {
  for (let index = 0; index < keyset.columns.length; index += 1) delete row[hiddenColumn(index)];
  return row as T;
}

/**
 * The query of one page: `query` (its tables, joins and filters) with `columns` selected, ordered by
 * the keyset, starting after `after`, reading `limit + 1` rows (the extra one only says whether a
 * next page exists). Exposed so that a test can EXPLAIN it.
 */
export function keysetQuery(
  query: Knex.QueryBuilder,
  columns: (string | Knex.Raw)[],
  keyset: Keyset,
  limit: number,
  after: KeysetPosition | null,
): Knex.QueryBuilder {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('a page holds at least one row');
  const page = query
    .clone()
    .select([...columns, ...keyColumns(query, keyset)])
    .orderBy(keyset.columns.map((column) => ({ column, order: keyset.direction })))
    .limit(limit + 1);
  if (!after) return page;
  const list = keyset.columns.map(() => '??').join(', ');
  const values = keyset.columns.map(() => '?').join(', ');
  const operator = keyset.direction === 'asc' ? '>' : '<';
  return page.whereRaw(`(${list}) ${operator} (${values})`, [...keyset.columns, ...after]);
}

/** One page of `query` in keyset order, with the cursor of the next page. */
export async function readKeysetPage<T>(
  query: Knex.QueryBuilder,
  columns: (string | Knex.Raw)[],
  keyset: Keyset,
  request: KeysetPageRequest,
): Promise<KeysetPage<T>> {
  const after = typeof request.after === 'string' ? decodeCursor(keyset, request.after) : (request.after ?? null);
  let rows: Record<string, unknown>[];
  try {
    rows = (await keysetQuery(query, columns, keyset, request.limit, after)) as Record<string, unknown>[];
  } catch (error) {
    // Class 22 (data exception): a cursor value that is no value of its column ("abc" as a date).
    if (after && sqlState(error)?.startsWith('22')) throw new InvalidCursor('holds a value of the wrong type');
    throw error;
  }
  const more = rows.length > request.limit;
  const page = more ? rows.slice(0, request.limit) : rows;
  const last = page.at(-1);
  const next = more && last ? encodeCursor(keyset, positionOf(last, keyset)) : null;
  return { rows: page.map((row) => withoutKeys<T>(row, keyset)), next };
}

/**
 * The position of the one row `query` finds (a message by its id, say), to page after it; null when
 * there is none. For lists whose wire names a row instead of handing out cursors.
 */
export async function keysetPositionOf(query: Knex.QueryBuilder, keyset: Keyset): Promise<KeysetPosition | null> {
  const rows = (await query.clone().select(keyColumns(query, keyset)).limit(1)) as Record<string, unknown>[];
  return rows[0] ? positionOf(rows[0], keyset) : null;
}
