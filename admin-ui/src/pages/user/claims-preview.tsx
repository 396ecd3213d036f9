import { unwrap } from '../../api/admin-client.ts';
import { useApi } from '../../api/api-context.tsx';
import type { AudienceClaims } from '../../api/types.ts';
import { useLoad } from '../../api/use-load.ts';
import { DataTable, type Column } from '../../components/data-table.tsx';

const list = (names: string[]) => (names.length ? names.join(', ') : <span className="muted">none</span>);

const columns: Column<AudienceClaims>[] = [
  { key: 'name', header: 'Audience', cell: (a) => <span title={a.audience}>{a.name}</span>, sortValue: (a) => a.name },
  { key: 'roles', header: 'roles', cell: (a) => list(a.roles) },
  { key: 'permissions', header: 'permissions', cell: (a) => list(a.permissions) },
  {
    key: 'size',
    header: 'Token size',
    cell: (a) => (
      <span className={a.over_limit ? 'badge badge-danger' : ''}>
        ~{a.approximate_bytes} B{a.over_limit ? ' (over 4 KB)' : ''}
      </span>
    ),
    sortValue: (a) => a.approximate_bytes,
  },
];

/** The roles/permissions claims the user's next access token would carry, per audience. */
export function ClaimsPreview(props: { userId: string; version: number }) {
  const api = useApi();
  const preview = useLoad(
    () => unwrap(api.GET('/users/{user_id}/token_claims_preview', { params: { path: { user_id: props.userId } } })),
    `${props.userId}|${props.version}`,
  );
  return (
    <section className="panel" aria-labelledby="claims-title">
      <h2 id="claims-title">Next token’s claims</h2>
      <DataTable
        caption="Token claims per audience"
        columns={columns}
        rows={preview.data?.audiences}
        rowKey={(a) => a.audience}
        loading={preview.loading}
        error={preview.error}
        onRetry={preview.reload}
        empty={{ title: 'No audiences are registered.' }}
      />
    </section>
  );
}
