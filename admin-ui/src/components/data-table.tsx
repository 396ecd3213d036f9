import { useMemo, useState, type ReactNode } from 'react';
import { Pager, type PageState } from './pager.tsx';
import { EmptyState, ErrorBanner, Loading } from './status.tsx';

export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => ReactNode;
  /** Makes the column sortable; in client mode rows are compared by this value (server mode: any value). */
  sortValue?: (row: T) => string | number;
}

export interface SortState {
  key: string;
  direction: 'ascending' | 'descending';
}

export interface DataTableProps<T> {
  caption: string;
  columns: Column<T>[];
  /** Undefined while the first load runs. */
  rows: T[] | undefined;
  rowKey: (row: T) => string;
  loading?: boolean | undefined;
  error?: string | null | undefined;
  onRetry?: (() => void) | undefined;
  empty: { title: string; hint?: string; action?: ReactNode };
  /** Server mode: the sort the rows already have, and how to ask for another. Client mode: the first sort. */
  sort?: SortState | undefined;
  onSortChange?: ((sort: SortState) => void) | undefined;
  /** Server mode: the page the rows are, and how to ask for another. Client mode: rows per page. */
  page?: PageState | undefined;
  onPageChange?: ((number: number) => void) | undefined;
  pageSize?: number | undefined;
}

/**
 * A table with sortable columns, paging and deliberate loading, empty and error states. It sorts and
 * pages `rows` itself unless the caller does it on the server (onSortChange / onPageChange).
 */
export function DataTable<T>(props: DataTableProps<T>) {
  const { columns, rows } = props;
  const serverSort = Boolean(props.onSortChange);
  const serverPage = Boolean(props.onPageChange && props.page);
  const [localSort, setLocalSort] = useState<SortState | undefined>(props.sort);
  const [localPage, setLocalPage] = useState(0);
  const sort = serverSort ? props.sort : localSort;
  const size = props.pageSize ?? 20;
  // Rows may shrink under the page being read (a deletion, a new filter): show the last page left.
  const clientPage = Math.min(localPage, Math.max(0, Math.ceil((rows?.length ?? 0) / size) - 1));

  const shown = useMemo(() => {
    if (!rows) return [];
    let list = rows;
    if (!serverSort && sort) {
      const column = columns.find((c) => c.key === sort.key);
      if (column?.sortValue) {
        const value = column.sortValue;
        const sign = sort.direction === 'ascending' ? 1 : -1;
        list = [...rows].sort((a, b) => {
          const [x, y] = [value(a), value(b)];
          return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sign;
        });
      }
    }
    if (!serverPage) list = list.slice(clientPage * size, (clientPage + 1) * size);
    return list;
  }, [rows, columns, sort, serverSort, serverPage, clientPage, size]);

  const page: PageState | undefined = serverPage
    ? props.page
    : rows && rows.length > size
      ? { number: clientPage, size, total: rows.length }
      : undefined;

  function toggle(key: string) {
    const next: SortState = {
      key,
      direction: sort?.key === key && sort.direction === 'ascending' ? 'descending' : 'ascending',
    };
    if (serverSort) props.onSortChange?.(next);
    else {
      setLocalSort(next);
      setLocalPage(0);
    }
  }

  if (props.error && !rows)
    return <ErrorBanner message={props.error} {...(props.onRetry ? { onRetry: props.onRetry } : {})} />;
  if (!rows) return <Loading label={`Loading ${props.caption.toLowerCase()}…`} />;
  if (rows.length === 0 && !props.loading)
    return (
      <EmptyState title={props.empty.title} {...(props.empty.hint ? { hint: props.empty.hint } : {})}>
        {props.empty.action}
      </EmptyState>
    );

  return (
    <div className="table-wrap" aria-busy={props.loading ? 'true' : 'false'}>
      {props.error ? (
        <ErrorBanner message={props.error} {...(props.onRetry ? { onRetry: props.onRetry } : {})} />
      ) : null}
      <table className={props.loading ? 'table is-refreshing' : 'table'}>
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => {
              const active = sort?.key === column.key;
              return (
                <th key={column.key} scope="col" aria-sort={active ? sort.direction : undefined}>
                  {column.sortValue ? (
                    <button type="button" className="sort" onClick={() => toggle(column.key)}>
                      {column.header}
                      <span aria-hidden="true" className="sort-mark">
                        {active ? (sort.direction === 'ascending' ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  ) : (
                    column.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <tr key={props.rowKey(row)}>
              {columns.map((column) => (
                <td key={column.key}>{column.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {page ? (
        <Pager
          page={page}
          label={props.caption}
          onChange={(number) => (serverPage ? props.onPageChange?.(number) : setLocalPage(number))}
        />
      ) : null}
    </div>
  );
}
