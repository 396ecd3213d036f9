import type { PageWindow, RowsPage } from '../data/page-window.ts';

/** `page[number]` (from 0) and `page[size]` of a user-content list. */
export interface PageRequest {
  number: number;
  size: number;
}

/** CONTRACTS 3.4: a page that holds no item is still an answer (200, `items: []`), unlike the catalogue's 404. */
export interface PagedList<T> {
  items: T[];
  total: number;
  page: number;
  size: number;
  pages: number;
}

export const windowOf = (page: PageRequest): PageWindow => ({ offset: page.number * page.size, limit: page.size });

export function pagedList<T>(page: PageRequest, rows: RowsPage<T>): PagedList<T> {
  return {
    items: rows.rows,
    total: rows.total,
    page: page.number,
    size: page.size,
    pages: Math.ceil(rows.total / page.size),
  };
}
