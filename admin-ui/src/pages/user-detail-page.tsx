import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import { useLoad } from '../api/use-load.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { ErrorBanner, Loading, Notice } from '../components/status.tsx';
import { fullName } from './full-name.ts';
import { ClaimsPreview } from './user/claims-preview.tsx';
import { GrantList } from './user/grant-list.tsx';
import { LoginHistory } from './user/login-history.tsx';
import { PasswordResetForm } from './user/password-reset-form.tsx';
import { PermissionExplainer } from './user/permission-explainer.tsx';
import { ProfileForm } from './user/profile-form.tsx';
import { UserSessions } from './user/user-sessions.tsx';

/**
 * One user: profile, roles and direct permissions (each change revokes their current tokens), why they
 * hold a permission, what their next token carries, sessions, sign-in history, blocking, password
 * reset and deletion.
 */
export function UserDetailPage() {
  const id = useParams().id ?? '';
  const api = useApi();
  const navigate = useNavigate();
  const path = { user_id: id };
  const user = useLoad(() => unwrap(api.GET('/users/{user_id}', { params: { path } })), id);
  const roles = useLoad(() => unwrap(api.GET('/users/{user_id}/roles', { params: { path } })), id);
  const direct = useLoad(() => unwrap(api.GET('/users/{user_id}/permissions', { params: { path } })), id);
  const allRoles = useLoad(() => unwrap(api.GET('/roles')), 'roles');
  const allPermissions = useLoad(() => unwrap(api.GET('/permissions')), 'permissions');
  const [version, setVersion] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const [blocking, setBlocking] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const changed = (message: string) => {
    setNotice(message);
    setVersion((n) => n + 1);
  };

  if (user.error && !user.data) return <ErrorBanner message={user.error} onRetry={user.reload} />;
  if (!user.data) return <Loading label="Loading the user…" />;
  const current = user.data;
  const name = fullName(current);

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/users">Users</Link> / {current.email}
      </p>
      <div className="page-head">
        <div>
          <h1>{current.email}</h1>
          <p className="muted">
            {name ? `${name} · ` : ''}
            {current.blocked ? (
              <span className="badge badge-danger">Blocked</span>
            ) : (
              <span className="badge">Active</span>
            )}{' '}
            {current.email_verified ? 'email verified' : 'email not verified'} · since{' '}
            {new Date(current.created).toLocaleDateString()}
          </p>
        </div>
        <div className="actions">
          <button
            type="button"
            className={current.blocked ? 'button-secondary' : 'button-danger'}
            onClick={() => setBlocking(true)}
          >
            {current.blocked ? 'Unblock' : 'Block'}
          </button>
          <button type="button" className="button-danger" onClick={() => setDeleting(true)}>
            Delete user
          </button>
        </div>
      </div>
      <Notice message={notice} />
      <ProfileForm key={current.uuid} user={current} onSaved={(saved) => user.replace(saved)} />
      <div className="columns">
        <GrantList
          title="Roles"
          noun="role"
          granted={roles.data}
          error={roles.error}
          choices={(allRoles.data ?? []).map((role) => role.name)}
          grant={async (role) => {
            roles.replace(await unwrap(api.POST('/users/{user_id}/roles', { params: { path }, body: { name: role } })));
            changed(`Role ${role} granted. The user's current tokens are revoked; the next one carries it.`);
          }}
          revoke={async (role) => {
            roles.replace(
              await unwrap(api.DELETE('/users/{user_id}/roles/{role}', { params: { path: { ...path, role } } })),
            );
            changed(`Role ${role} taken away.`);
          }}
        />
        <GrantList
          title="Direct permissions"
          noun="permission"
          granted={direct.data}
          error={direct.error}
          choices={(allPermissions.data ?? []).map((permission) => permission.name)}
          grant={async (permission) => {
            direct.replace(
              await unwrap(api.POST('/users/{user_id}/permissions', { params: { path }, body: { name: permission } })),
            );
            changed(`Permission ${permission} granted.`);
          }}
          revoke={async (permission) => {
            direct.replace(
              await unwrap(
                api.DELETE('/users/{user_id}/permissions/{permission}', { params: { path: { ...path, permission } } }),
              ),
            );
            changed(`Permission ${permission} taken away.`);
          }}
        />
      </div>
      <PermissionExplainer userId={id} />
      <ClaimsPreview userId={id} version={version} />
      <UserSessions userId={id} />
      <LoginHistory userId={id} />
      <PasswordResetForm userId={id} />
      {blocking ? (
        <ConfirmDialog
          title={current.blocked ? `Unblock ${current.email}?` : `Block ${current.email}?`}
          confirmLabel={current.blocked ? 'Unblock' : 'Block'}
          danger={!current.blocked}
          onClose={() => setBlocking(false)}
          onConfirm={async () => {
            const action = current.blocked ? '/users/{user_id}/unblock' : '/users/{user_id}/block';
            user.replace(await unwrap(api.POST(action, { params: { path } })));
            setNotice(current.blocked ? 'User unblocked.' : 'User blocked: signed out everywhere, tokens revoked.');
          }}
        >
          <p>
            {current.blocked
              ? 'They can sign in again.'
              : 'They cannot sign in or refresh tokens; every session ends and their tokens are refused.'}
          </p>
        </ConfirmDialog>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete ${current.email}?`}
          confirmLabel="Delete user"
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await unwrap(api.DELETE('/users/{user_id}', { params: { path } }));
            void navigate('/users', { state: { notice: `User ${current.email} deleted.` } });
          }}
        >
          <p>
            The account, its roles and grants go, every session ends and its tokens are refused. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
