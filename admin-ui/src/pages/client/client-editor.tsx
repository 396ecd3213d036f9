import { useEffect, useRef, useState } from 'react';
import { unwrap } from '../../api/admin-client.ts';
import { useApi } from '../../api/api-context.tsx';
import { useLoad } from '../../api/use-load.ts';
import { ErrorBanner, Loading, Notice } from '../../components/status.tsx';
import { GrantList } from '../user/grant-list.tsx';
import { ClientSettingsForm } from './client-settings-form.tsx';

export interface ClientEditorProps {
  clientId: string;
  /** After any change, so the list shows it. */
  onChanged(): void;
  onClose(): void;
}

/**
 * One client's settings (its metadata) and the permissions it is granted for client credentials.
 * Focus moves to the panel's heading when it opens, so keyboard and screen reader users land in it,
 * and back to the opener when it closes.
 */
export function ClientEditor(props: ClientEditorProps) {
  const { clientId } = props;
  const api = useApi();
  const path = { client_id: clientId };
  const client = useLoad(() => unwrap(api.GET('/clients/{client_id}', { params: { path } })), clientId);
  const granted = useLoad(() => unwrap(api.GET('/clients/{client_id}/permissions', { params: { path } })), clientId);
  const all = useLoad(() => unwrap(api.GET('/permissions')), 'permissions');
  const [notice, setNotice] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    // Back to where the editor was opened from (its Edit button) once it closes.
    const opener = document.activeElement as HTMLElement | null;
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  useEffect(() => {
    heading.current?.focus();
    setNotice(null);
  }, [clientId]);

  const current = client.data;
  const machine = current?.grant_types?.includes('client_credentials') ?? false;

  return (
    <section className="editor" aria-labelledby="client-editor-title">
      <div className="page-head">
        <h2 id="client-editor-title" ref={heading} tabIndex={-1}>
          Edit {current?.client_name ?? clientId}
        </h2>
        <button type="button" className="button-secondary" onClick={props.onClose}>
          Close <span className="visually-hidden">the editor</span>
        </button>
      </div>
      {client.error && !current ? <ErrorBanner message={client.error} onRetry={client.reload} /> : null}
      {!current && !client.error ? <Loading label="Loading the client…" /> : null}
      {current ? (
        <>
          <p className="muted">
            <code>{current.client_id}</code> ·{' '}
            {current.token_endpoint_auth_method === 'none'
              ? 'public client (no secret)'
              : `confidential client (${current.token_endpoint_auth_method ?? 'client_secret_basic'})`}
            . The kind is fixed at registration: register a new client to change it.
          </p>
          <div className="columns">
            <section className="panel" aria-labelledby="client-settings-title">
              <h2 id="client-settings-title">Settings</h2>
              <ClientSettingsForm
                key={current.client_id}
                client={current}
                onSaved={(saved) => {
                  client.replace(saved);
                  props.onChanged();
                }}
              />
            </section>
            <div>
              <GrantList
                title="Permissions"
                noun="permission"
                granted={granted.data}
                error={granted.error}
                choices={(all.data ?? []).map((permission) => permission.name)}
                grant={async (permission) => {
                  granted.replace(
                    await unwrap(
                      api.POST('/clients/{client_id}/permissions', { params: { path }, body: { name: permission } }),
                    ),
                  );
                  setNotice(`Permission ${permission} granted to ${clientId}.`);
                  props.onChanged();
                }}
                revoke={async (permission) => {
                  granted.replace(
                    await unwrap(
                      api.DELETE('/clients/{client_id}/permissions/{permission}', {
                        params: { path: { ...path, permission } },
                      }),
                    ),
                  );
                  setNotice(`Permission ${permission} taken from ${clientId}.`);
                  props.onChanged();
                }}
              />
              <Notice message={notice} />
              {machine ? null : (
                <p className="muted">
                  Permissions go into the tokens a client gets with client credentials, a grant type this client does
                  not use.
                </p>
              )}
            </div>
          </div>
        </>
      ) : null}
    </section>
  );
}
