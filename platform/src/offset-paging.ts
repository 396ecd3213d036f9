import type { Knex } from 'knex';
import { z } from 'zod';

/**
 * Offset paging: page number and size on the wire, a total with every page. Right for lists a
 * person pages through by number (the catalogue, an admin table); for feeds that grow while they
 * are read, keyset paging (keyset-paging.ts) keeps pages from overlapping.
 */

/** A page as asked for: `number` counts from 0 here, whatever the wire's first page is. */
export interface PageRequest {
  number: number;
  size: number;
}

/** The rows a page covers: `offset` may be far past the end (page numbers are not bounded). */
export interface PageWindow {
  offset: number;
  limit: number;
}

export interface RowsPage<T> {
  rows: T[];
  total: number;
}

/** A page with its place in the whole list (films' user-content lists answer exactly this). */
export interface PagedList<T> {
  items: T[];
  total: number;
  page: number;
  size: number;
  pages: number;
}

export interface PageLimits {
  /** The number of the first page on the wire: 0 (films' `page[number]`) or 1 (files' `page_num`). */
  first: 0 | 1;
  defaultSize: number;
  maxSize: number;
}

/**
 * zod schemas for the page number and size as query-string text: decimal digits only (an empty
 * value is malformed, not the default), each message saying what a valid value is. The number comes
 * out counted from 0 whatever `first` is.
 */
export function pageParameters(limits: PageLimits) {
  const numberMessage = `must be an integer ≥ ${limits.first}`;
  const sizeMessage = `must be an integer from 1 to ${limits.maxSize}`;
  return {
    number: z
      .string({ error: numberMessage })
      .regex(/^\d+$/, numberMessage)
      .transform(Number)
      .refine((number) => number >= limits.first, numberMessage)
      .transform((number) => number - limits.first)
      .default(0),
    size: z
      .string({ error: sizeMessage })
      .regex(/^\d+$/, sizeMessage)
      .transform(Number)
      .refine((size) => size >= 1 && size <= limits.maxSize, sizeMessage)
      .default(limits.defaultSize),
  };
}

export const windowOf = (page: PageRequest): PageWindow => ({ offset: page.number * page.size, limit: page.size });

/**
 * Counts the rows `query` matches, then reads the window of them in `order`. A window past the end
 * reads nothing, so a huge page number never reaches the database as an out-of-range offset.
 */
export async function readWindow<T>(
  query: Knex.QueryBuilder,
  columns: (string | Knex.Raw)[],
  order: string,
  window: PageWindow,
): Promise<RowsPage<T>> {
  const counted = (await query.clone().count('* as count')) as { count: string | number }[];
  const total = Number(counted[0]?.count ?? 0);
  if (window.offset >= total) return { rows: [], total };
  const rows = (await query.clone().select(columns).orderByRaw(order).limit(window.limit).offset(window.offset)) as T[];
  return { rows, total };
}

export function pagedList<T>(page: PageRequest, rows: RowsPage<T>): PagedList<T> {
  return {
    items: rows.rows,
    total: rows.total,
    page: page.number,
    size: page.size,
    pages: Math.ceil(rows.total / page.size),
  };
}
