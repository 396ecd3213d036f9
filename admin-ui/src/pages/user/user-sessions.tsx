import { useState } from 'react';
import { unwrap } from '../../api/admin-client.ts';
import { useApi } from '../../api/api-context.tsx';
import { messageOf } from '../../api/api-error.ts';
import type { Session } from '../../api/types.ts';
import { useLoad } from '../../api/use-load.ts';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { ErrorBanner } from '../../components/status.tsx';

const when = (value: string | null) => (value ? new Date(value).toLocaleString() : '—');

/** The user's browser sessions, each of which can be signed out; or all at once. */
export function UserSessions(props: { userId: string }) {
  const api = useApi();
  const path = { user_id: props.userId };
  const sessions = useLoad(
    async () => (await unwrap(api.GET('/users/{user_id}/sessions', { params: { path } }))).sessions,
    props.userId,
  );
  const [confirmAll, setConfirmAll] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  async function revoke(sessionId: string) {
    setFailure(null);
    try {
      await unwrap(
        api.DELETE('/users/{user_id}/sessions/{session_id}', {
          params: { path: { ...path, session_id: sessionId } },
        }),
      );
      sessions.reload();
    } catch (error) {
      setFailure(messageOf(error));
    }
  }

  const columns: Column<Session>[] = [
    { key: 'signed_in', header: 'Signed in', cell: (s) => when(s.signed_in), sortValue: (s) => s.signed_in ?? '' },
    { key: 'expires', header: 'Expires', cell: (s) => when(s.expires), sortValue: (s) => s.expires ?? '' },
    {
      key: 'clients',
      header: 'Apps',
      cell: (s) => s.clients.map((c) => c.client_name ?? c.client_id).join(', ') || '—',
    },
    {
      key: 'actions',
      header: 'Actions',
      cell: (s) => (
        <button type="button" className="button-link" onClick={() => void revoke(s.id)}>
          Sign out this session
        </button>
      ),
    },
  ];

  return (
    <section className="panel" aria-labelledby="sessions-title">
      <div className="page-head">
        <h2 id="sessions-title">Sessions</h2>
        <button
          type="button"
          className="button-secondary"
          onClick={() => setConfirmAll(true)}
          disabled={!sessions.data?.length}
        >
          Sign out everywhere
        </button>
      </div>
      {failure ? <ErrorBanner message={failure} /> : null}
      <DataTable
        caption="Sessions"
        columns={columns}
        rows={sessions.data}
        rowKey={(s) => s.id}
        loading={sessions.loading}
        error={sessions.error}
        onRetry={sessions.reload}
        sort={{ key: 'signed_in', direction: 'descending' }}
        pageSize={10}
        empty={{ title: 'No active sessions.' }}
      />
      {confirmAll ? (
        <ConfirmDialog
          title="Sign this user out everywhere?"
          confirmLabel="Sign out everywhere"
          danger
          onClose={() => setConfirmAll(false)}
          onConfirm={async () => {
            await unwrap(api.DELETE('/users/{user_id}/sessions', { params: { path } }));
            sessions.reload();
          }}
        >
          <p>Every session and grant of this user is revoked; apps must sign in again.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
