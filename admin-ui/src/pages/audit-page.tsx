import { useSearchParams } from 'react-router';
import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { AuditEvent } from '../api/types.ts';
import { useLoad } from '../api/use-load.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { Field } from '../components/field.tsx';
import { after, dateTime, maxLength } from '../forms/rules.ts';
import { useForm } from '../forms/use-form.ts';

const pageSize = 25;
const filterNames = ['actor', 'type', 'target', 'since', 'until'] as const;
type Filters = Record<(typeof filterNames)[number], string>;

/** An instant (RFC 3339, as the URL and the API hold it) as a datetime-local field shows it: local time. */
function localInput(instant: string | null): string {
  if (!instant) return '';
  const date = new Date(instant);
  // Not an instant (a hand-edited URL): the field starts empty; the API's refusal shows beside it.
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

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

/**
 * Who changed what, newest first, filtered by actor, action, target and time (since: at or after;
 * until: before, both in the browser's local time); paged on the server. The filters live in the URL.
 */
export function AuditPage() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const page = Math.max(0, Number(params.get('page')) || 0);
  const events = useLoad(() => {
    const query: Record<string, string | number> = { 'page[number]': page, 'page[size]': pageSize };
    for (const name of filterNames) {
      const value = params.get(name);
      if (value) query[name] = value;
    }
    return unwrap(api.GET('/audit_events', { params: { query } }));
  }, `${params.toString()}`);

  function apply(filters: Filters) {
    const next = new URLSearchParams();
    for (const name of ['actor', 'type', 'target'] as const) {
      if (filters[name].trim()) next.set(name, filters[name].trim());
    }
    for (const name of ['since', 'until'] as const) {
      if (filters[name]) next.set(name, new Date(filters[name]).toISOString());
    }
    setParams(next);
  }

  function goTo(number: number) {
    const next = new URLSearchParams(params);
    if (number) next.set('page', String(number));
    else next.delete('page');
    setParams(next);
  }

  function clear() {
    for (const name of filterNames) form.set(name, '');
    setParams(new URLSearchParams());
  }

  const form = useForm<Filters>({
    initial: {
      actor: params.get('actor') ?? '',
      type: params.get('type') ?? '',
      target: params.get('target') ?? '',
      since: localInput(params.get('since')),
      until: localInput(params.get('until')),
    },
    keepValues: true,
    rules: {
      actor: [maxLength(255)],
      type: [maxLength(100)],
      target: [maxLength(2048)],
      since: [dateTime],
      until: [dateTime, after('since', 'Until must be after Since.')],
    },
    submit: async (values) => apply(values),
  });
  // A filter the API refused (say, a hand-edited URL) is shown at its field, like a form's own error.
  const field = (name: keyof Filters) => {
    const bound = form.bind(name);
    return { ...bound, error: bound.error ?? events.fields[name] };
  };
  const refused = filterNames.some((name) => events.fields[name]);

  return (
    <section>
      <div className="page-head">
        <h1>Audit log</h1>
      </div>
      <form className="panel form-inline" aria-label="Filter events" onSubmit={form.handleSubmit} noValidate>
        <Field label="Actor" placeholder="user id, client:id or cli" {...field('actor')} />
        <Field label="Action" placeholder="role.*" {...field('type')} />
        <Field label="Target" placeholder="id" {...field('target')} />
        <Field label="Since" type="datetime-local" hint="At or after; your local time." {...field('since')} />
        <Field label="Until" type="datetime-local" hint="Before; your local time." {...field('until')} />
        <div className="actions">
          <button type="submit" className="button-secondary" disabled={form.submitting}>
            Filter
          </button>
          {filterNames.some((name) => params.get(name)) ? (
            <button type="button" className="button-link" onClick={clear}>
              Clear filters
            </button>
          ) : null}
        </div>
      </form>
      <DataTable
        caption="Audit events"
        columns={columns}
        rows={events.data?.items}
        rowKey={(e) => e.uuid}
        loading={events.loading}
        error={refused ? 'The filters above were refused; correct them and filter again.' : events.error}
        onRetry={refused ? undefined : events.reload}
        empty={{ title: 'No events match.', hint: 'Changes made through the admin API and the CLI appear here.' }}
        page={events.data ? { number: page, size: pageSize, total: events.data.total } : undefined}
        onPageChange={goTo}
      />
    </section>
  );
}
