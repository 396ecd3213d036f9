import { useState } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { UserDetails } from '../api/types.ts';
import { useLoad } from '../api/use-load.ts';
import { DataTable, type Column, type SortState } from '../components/data-table.tsx';
import { Notice } from '../components/status.tsx';
import { fullName } from './full-name.ts';
import { NewUserForm } from './new-user-form.tsx';

const pageSize = 20;
type SortParam = 'email' | '-email' | 'created' | '-created';

function readSort(value: string | null): SortParam {
  return value === '-email' || value === 'created' || value === '-created' ? value : 'email';
}

const columns: Column<UserDetails>[] = [
  {
    key: 'email',
    header: 'Email',
    cell: (user) => <Link to={`/users/${user.uuid}`}>{user.email}</Link>,
    sortValue: (user) => user.email,
  },
  { key: 'name', header: 'Name', cell: (user) => fullName(user) || <span className="muted">—</span> },
  {
    key: 'status',
    header: 'Status',
    cell: (user) => (
      <>
        {user.blocked ? <span className="badge badge-danger">Blocked</span> : <span className="badge">Active</span>}
        {user.email_verified ? null : <span className="badge badge-muted">Email not verified</span>}
      </>
    ),
  },
  {
    key: 'created',
    header: 'Created',
    cell: (user) => new Date(user.created).toLocaleDateString(),
    sortValue: (user) => user.created,
  },
];

/** Every account: search, sort and page on the server; new accounts. */
export function UsersPage() {
  const api = useApi();
  const navigate = useNavigate();
  // What a page that sent us here did ("User … deleted.").
  const arrival = (useLocation().state as { notice?: unknown } | null)?.notice;
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const sort = readSort(params.get('sort'));
  const page = Math.max(0, Number(params.get('page')) || 0);
  const [search, setSearch] = useState(query);
  const [creating, setCreating] = useState(false);

  const users = useLoad(
    () =>
      unwrap(
        api.GET('/users', {
          params: { query: { ...(query ? { query } : {}), sort, 'page[number]': page, 'page[size]': pageSize } },
        }),
      ),
    `${query}|${sort}|${page}`,
  );

  function update(next: { q?: string; sort?: SortParam; page?: number }) {
    const merged = { q: query, sort, page, ...next };
    const search = new URLSearchParams();
    if (merged.q) search.set('q', merged.q);
    if (merged.sort !== 'email') search.set('sort', merged.sort);
    if (merged.page) search.set('page', String(merged.page));
    setParams(search);
  }

  const sortState: SortState = {
    key: sort.replace('-', ''),
    direction: sort.startsWith('-') ? 'descending' : 'ascending',
  };

  return (
    <section>
      <div className="page-head">
        <h1>Users</h1>
        <button type="button" onClick={() => setCreating((open) => !open)} aria-expanded={creating}>
          {creating ? 'Close' : 'New user'}
        </button>
      </div>
      {creating ? (
        <NewUserForm
          onCreated={(user) => {
            setCreating(false);
            void navigate(`/users/${user.uuid}`);
          }}
        />
      ) : null}
      {typeof arrival === 'string' ? <Notice message={arrival} /> : null}
      <form
        role="search"
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          update({ q: search.trim(), page: 0 });
        }}
      >
        <label htmlFor="user-search">Search users</label>
        <input
          id="user-search"
          type="search"
          value={search}
          placeholder="Email or name"
          maxLength={320}
          onChange={(event) => setSearch(event.target.value)}
        />
        <button type="submit" className="button-secondary">
          Search
        </button>
      </form>
      <DataTable
        caption="Users"
        columns={columns}
        rows={users.data?.items}
        rowKey={(user) => user.uuid}
        loading={users.loading}
        error={users.error}
        onRetry={users.reload}
        empty={
          query
            ? { title: `No user matches “${query}”.`, hint: 'Try part of an email address or a name.' }
            : { title: 'No users yet.', hint: 'Create the first account with New user.' }
        }
        sort={sortState}
        onSortChange={(next) =>
          update({
            sort: `${next.direction === 'descending' ? '-' : ''}${next.key}` as SortParam,
            page: 0,
          })
        }
        page={users.data ? { number: page, size: pageSize, total: users.data.total } : undefined}
        onPageChange={(number) => update({ page: number })}
      />
    </section>
  );
}
