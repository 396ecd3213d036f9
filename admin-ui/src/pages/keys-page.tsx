import { useState } from 'react';
import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { SigningKey } from '../api/types.ts';
import { useLoad } from '../api/use-load.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { Notice } from '../components/status.tsx';

const when = (value: string | null) => (value ? new Date(value).toLocaleString() : '—');
const statusOrder = { active: 0, next: 1, retired: 2 } as const;

const columns: Column<SigningKey>[] = [
  { key: 'kid', header: 'Key id', cell: (k) => <code>{k.kid}</code>, sortValue: (k) => k.kid },
  { key: 'alg', header: 'Algorithm', cell: (k) => k.alg, sortValue: (k) => k.alg },
  {
    key: 'status',
    header: 'Status',
    cell: (k) => <span className={k.status === 'active' ? 'badge badge-ok' : 'badge badge-muted'}>{k.status}</span>,
    sortValue: (k) => statusOrder[k.status],
  },
  { key: 'created', header: 'Created', cell: (k) => when(k.created), sortValue: (k) => k.created },
  { key: 'activated', header: 'Activated', cell: (k) => when(k.activated), sortValue: (k) => k.activated ?? '' },
  { key: 'until', header: 'Published until', cell: (k) => when(k.publish_until) },
];

/** The published signing keys, and rotation (next becomes active; the old one stays published). */
export function KeysPage() {
  const api = useApi();
  const keys = useLoad(() => unwrap(api.GET('/keys')), 'keys');
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <section>
      <div className="page-head">
        <h1>Signing keys</h1>
        <button type="button" onClick={() => setConfirming(true)}>
          Rotate keys
        </button>
      </div>
      <p className="muted">
        Tokens are signed with the active key. The next key is already published, so resource servers know it before it
        signs anything; a retired key stays published until the last token it signed expires.
      </p>
      <Notice message={notice} />
      <DataTable
        caption="Signing keys"
        columns={columns}
        rows={keys.data}
        rowKey={(k) => k.kid}
        loading={keys.loading}
        error={keys.error}
        onRetry={keys.reload}
        sort={{ key: 'status', direction: 'ascending' }}
        empty={{ title: 'No keys are published.' }}
      />
      {confirming ? (
        <ConfirmDialog
          title="Rotate the signing keys?"
          confirmLabel="Rotate now"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            const rotation = await unwrap(api.POST('/keys/rotate'));
            keys.replace(rotation.keys);
            setNotice(
              `Rotated: ${rotation.activated.join(', ') || 'no key'} now signs; ${rotation.retired.join(', ') || 'no key'} retired.`,
            );
          }}
        >
          <p>
            The next key starts signing at once on every provider instance. Tokens signed with the current key stay
            valid until they expire.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
