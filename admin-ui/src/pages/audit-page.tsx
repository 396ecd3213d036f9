import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { AuditEvent } from '../api/types.ts';
import { useLoad } from '../api/use-load.ts';
import { DataTable, type Column } from '../components/data-table.tsx';

const pageSize = 25;
const filterNames = ['actor', 'type', 'target'] as const;
type Filters = Record<(typeof filterNames)[number], string>;

const columns: Column<AuditEvent>[] = [
  { key: 'time', header: 'Time', cell: (e) => new Date(e.time).toLocaleString() },
  { key: 'type', header: 'Action', cell: (e) => <code>{e.type}</code> },
  { key: 'actor', header: 'Actor', cell: (e) => e.actor ?? <span className="muted">system</span> },
  {
    key: 'target',
    header: 'Target',
    cell: (e) => (e.target ? `${e.target_type ?? ''} ${e.target}`.trim() : <span className="muted">—</span>),
  },
  {
    key: 'data',
    header: 'Details',
    cell: (e) =>
      e.data ? (
        <details>
          <summary>Show</summary>
          <pre>{JSON.stringify(e.data, null, 2)}</pre>
        </details>
      ) : (
        '—'
      ),
  },
];

/** Who changed what, newest first, filtered by actor, action and target; paged on the server. */
export function AuditPage() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const applied: Filters = {
    actor: params.get('actor') ?? '',
    type: params.get('type') ?? '',
    target: params.get('target') ?? '',
  };
  const page = Math.max(0, Number(params.get('page')) || 0);
  const [draft, setDraft] = useState<Filters>(applied);
  const events = useLoad(() => {
    const query: Record<string, string | number> = { 'page[number]': page, 'page[size]': pageSize };
    for (const name of filterNames) if (applied[name]) query[name] = applied[name];
    return unwrap(api.GET('/audit_events', { params: { query } }));
  }, `${params.toString()}`);

  function apply(filters: Filters, number: number) {
    const next = new URLSearchParams();
    for (const name of filterNames) if (filters[name].trim()) next.set(name, filters[name].trim());
    if (number) next.set('page', String(number));
    setParams(next);
  }

  return (
    <section>
      <div className="page-head">
        <h1>Audit log</h1>
      </div>
      <form
        className="toolbar"
        aria-label="Filter events"
        onSubmit={(event) => {
          event.preventDefault();
          apply(draft, 0);
        }}
      >
        {filterNames.map((name) => (
          <span key={name} className="toolbar-field">
            <label htmlFor={`audit-${name}`}>
              {name === 'type' ? 'Action' : name[0]!.toUpperCase() + name.slice(1)}
            </label>
            <input
              id={`audit-${name}`}
              value={draft[name]}
              placeholder={name === 'type' ? 'role.*' : name === 'actor' ? 'user id, client:id or cli' : 'id'}
              onChange={(event) => setDraft({ ...draft, [name]: event.target.value })}
            />
          </span>
        ))}
        <button type="submit" className="button-secondary">
          Filter
        </button>
      </form>
      <DataTable
        caption="Audit events"
        columns={columns}
        rows={events.data?.items}
        rowKey={(e) => e.uuid}
        loading={events.loading}
        error={events.error}
        onRetry={events.reload}
        empty={{ title: 'No events match.', hint: 'Changes made through the admin API and the CLI appear here.' }}
        page={events.data ? { number: page, size: pageSize, total: events.data.total } : undefined}
        onPageChange={(number) => apply(applied, number)}
      />
    </section>
  );
}
