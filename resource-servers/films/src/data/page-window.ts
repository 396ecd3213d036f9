import type { Knex } from '@usher/platform';

/** The rows a page covers: `offset` may be far past the end (page numbers are not bounded). */
export interface PageWindow {
  offset: number;
  limit: number;
}

export interface RowsPage<T> {
  rows: T[];
  total: number;
}

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
