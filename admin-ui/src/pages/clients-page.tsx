import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { Client } from '../api/types.ts';
import { useLoad } from '../api/use-load.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { Notice } from '../components/status.tsx';
import { ClientEditor } from './client/client-editor.tsx';
import { NewClientForm } from './new-client-form.tsx';

const isPublic = (client: Client) => client.token_endpoint_auth_method === 'none';

/**
 * OAuth clients: registration, settings and permissions (an editor opened by `?edit=<client_id>`, so
 * it can be linked to), secret rotation (shown once) and deletion.
 */
export function ClientsPage() {
  const api = useApi();
  const clients = useLoad(() => unwrap(api.GET('/clients')), 'clients');
  const [params, setParams] = useSearchParams();
  const editing = params.get('edit');
  const edit = (clientId: string | null) => setParams(clientId ? { edit: clientId } : {});
  const [notice, setNotice] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ clientId: string; secret: string } | null>(null);
  const [rotating, setRotating] = useState<Client | null>(null);
  const [deleting, setDeleting] = useState<Client | null>(null);

  const columns: Column<Client>[] = [
    {
      key: 'name',
      header: 'Client',
      cell: (c) => (
        <>
          <strong>{c.client_name ?? c.client_id}</strong>
          <br />
          <code className="muted">{c.client_id}</code>
        </>
      ),
      sortValue: (c) => (c.client_name ?? c.client_id).toLowerCase(),
    },
    {
      key: 'type',
      header: 'Type',
      cell: (c) => (
        <>
          <span className="badge">{isPublic(c) ? 'public' : 'confidential'}</span>
          {c.first_party ? <span className="badge badge-muted">first party</span> : null}
        </>
      ),
      sortValue: (c) => (isPublic(c) ? 'public' : 'confidential'),
    },
    { key: 'grants', header: 'Grant types', cell: (c) => (c.grant_types ?? []).join(', ') || '—' },
    {
      key: 'permissions',
      header: 'Permissions',
      cell: (c) => (c.permissions.length ? c.permissions.join(', ') : <span className="muted">none</span>),
    },
    {
      key: 'actions',
      header: 'Actions',
      cell: (c) => (
        <span className="row-actions">
          <button type="button" className="button-link" onClick={() => edit(c.client_id)}>
            Edit <span className="visually-hidden">{c.client_id}</span>
          </button>
          {isPublic(c) ? null : (
            <button type="button" className="button-link" onClick={() => setRotating(c)}>
              New secret <span className="visually-hidden">for {c.client_id}</span>
            </button>
          )}
          <button type="button" className="button-link danger" onClick={() => setDeleting(c)}>
            Delete <span className="visually-hidden">{c.client_id}</span>
          </button>
        </span>
      ),
    },
  ];

  return (
    <section>
      <div className="page-head">
        <h1>Clients</h1>
      </div>
      <NewClientForm
        onCreated={(client) => {
          setNotice(`Client ${client.client_name ?? client.client_id} registered.`);
          setSecret(client.client_secret ? { clientId: client.client_id, secret: client.client_secret } : null);
          clients.reload();
        }}
      />
      <Notice message={notice} />
      {secret ? (
        <div className="secret-box" role="status">
          <p>
            The secret of <code>{secret.clientId}</code> is shown only now. Copy it into the app’s configuration:
          </p>
          <code className="secret">{secret.secret}</code>
          <button type="button" className="button-secondary" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      ) : null}
      {editing ? <ClientEditor clientId={editing} onChanged={clients.reload} onClose={() => edit(null)} /> : null}
      <DataTable
        caption="Clients"
        columns={columns}
        rows={clients.data}
        rowKey={(c) => c.client_id}
        loading={clients.loading}
        error={clients.error}
        onRetry={clients.reload}
        empty={{ title: 'No clients registered.', hint: 'Register the first app above.' }}
      />
      {rotating ? (
        <ConfirmDialog
          title={`Give ${rotating.client_id} a new secret?`}
          confirmLabel="Replace secret"
          danger
          onClose={() => setRotating(null)}
          onConfirm={async () => {
            const answer = await unwrap(
              api.POST('/clients/{client_id}/secret', { params: { path: { client_id: rotating.client_id } } }),
            );
            setSecret({ clientId: answer.client_id, secret: answer.client_secret });
          }}
        >
          <p>The current secret stops working at once; the app needs the new one.</p>
        </ConfirmDialog>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete the client ${deleting.client_id}?`}
          confirmLabel="Delete client"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await unwrap(api.DELETE('/clients/{client_id}', { params: { path: { client_id: deleting.client_id } } }));
            setNotice(`Client ${deleting.client_id} deleted.`);
            if (editing === deleting.client_id) edit(null);
            clients.reload();
          }}
        >
          <p>Every grant and token issued to it is revoked.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
