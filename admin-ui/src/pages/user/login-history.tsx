import { unwrap } from '../../api/admin-client.ts';
import { useApi } from '../../api/api-context.tsx';
import type { Login } from '../../api/types.ts';
import { useLoad } from '../../api/use-load.ts';
import { DataTable, type Column } from '../../components/data-table.tsx';

const columns: Column<Login>[] = [
  { key: 'time', header: 'Time', cell: (l) => new Date(l.time).toLocaleString(), sortValue: (l) => l.time },
  { key: 'method', header: 'Method', cell: (l) => l.method, sortValue: (l) => l.method },
  {
    key: 'result',
    header: 'Result',
    cell: (l) => <span className={l.result === 'success' ? 'badge' : 'badge badge-danger'}>{l.result}</span>,
    sortValue: (l) => l.result,
  },
  { key: 'ip', header: 'IP address', cell: (l) => l.ip_address ?? '—' },
  { key: 'agent', header: 'Browser', cell: (l) => <span className="truncate">{l.user_agent ?? '—'}</span> },
];

/** Every sign-in attempt of the user, newest first. */
export function LoginHistory(props: { userId: string }) {
  const api = useApi();
  const logins = useLoad(
    async () =>
      (await unwrap(api.GET('/users/{user_id}/logins', { params: { path: { user_id: props.userId } } }))).logins,
    props.userId,
  );
  return (
    <section className="panel" aria-labelledby="history-title">
      <h2 id="history-title">Sign-in history</h2>
      <DataTable
        caption="Sign-in history"
        columns={columns}
        rows={logins.data}
        rowKey={(l) => l.uuid}
        loading={logins.loading}
        error={logins.error}
        onRetry={logins.reload}
        sort={{ key: 'time', direction: 'descending' }}
        pageSize={10}
        empty={{ title: 'No sign-ins yet.' }}
      />
    </section>
  );
}
