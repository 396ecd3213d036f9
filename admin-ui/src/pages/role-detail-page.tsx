import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { Permission, Role } from '../api/types.ts';
import { messageOf } from '../api/api-error.ts';
import { useLoad } from '../api/use-load.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { Field, FormError } from '../components/field.tsx';
import { ErrorBanner, Loading, Notice } from '../components/status.tsx';
import { descriptionRules, required, roleNameRules } from '../forms/rules.ts';
import { useForm } from '../forms/use-form.ts';

/** One role: its description, its permissions (attach, detach) and deletion. */
export function RoleDetailPage() {
  const name = useParams().name ?? '';
  const api = useApi();
  const navigate = useNavigate();
  const role = useLoad(() => unwrap(api.GET('/roles/{role}', { params: { path: { role: name } } })), name);
  const all = useLoad(() => unwrap(api.GET('/permissions')), 'permissions');
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);

  const setPermissions = (permissions: Permission[]) => {
    if (role.data) role.replace({ ...role.data, permissions });
  };

  const attach = useForm({
    initial: { name: '' },
    rules: { name: [required('Permission')] },
    async submit(values) {
      setFailure(null);
      setPermissions(
        await unwrap(
          api.POST('/roles/{role}/permissions', { params: { path: { role: name } }, body: { name: values.name } }),
        ),
      );
      setNotice(`Permission ${values.name} added to ${name}. Holders get it in their next token.`);
    },
  });

  async function detach(permission: string) {
    setNotice(null);
    setFailure(null);
    try {
      setPermissions(
        await unwrap(
          api.DELETE('/roles/{role}/permissions/{permission}', { params: { path: { role: name, permission } } }),
        ),
      );
      setNotice(`Permission ${permission} removed from ${name}.`);
    } catch (error) {
      // Say what failed, and show the role as the server now has it.
      setFailure(`Could not remove ${permission}: ${messageOf(error)}`);
      role.reload();
    }
  }

  /** A rename moves the page to the role's new address; otherwise the answer replaces what is shown. */
  function saved(changed: Role) {
    role.replace(changed);
    if (changed.name === name) return;
    setNotice(`Role ${name} renamed to ${changed.name}. Holders get the new name in their next token.`);
    void navigate(`/roles/${encodeURIComponent(changed.name)}`, { replace: true });
  }

  if (role.error && !role.data) return <ErrorBanner message={role.error} onRetry={role.reload} />;
  if (!role.data) return <Loading label="Loading the role…" />;
  const current = role.data;
  const held = new Set(current.permissions.map((p) => p.name));
  const available = (all.data ?? []).filter((p) => !held.has(p.name));

  const columns: Column<Permission>[] = [
    { key: 'name', header: 'Permission', cell: (p) => <code>{p.name}</code>, sortValue: (p) => p.name },
    { key: 'description', header: 'Description', cell: (p) => p.description ?? <span className="muted">—</span> },
    {
      key: 'actions',
      header: 'Actions',
      cell: (p) => (
        <button type="button" className="button-secondary" onClick={() => void detach(p.name)}>
          Remove <span className="visually-hidden">{p.name}</span>
        </button>
      ),
    },
  ];

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/roles">Roles</Link> / {current.name}
      </p>
      <div className="page-head">
        <h1>Role {current.name}</h1>
        <button type="button" className="button-danger" onClick={() => setDeleting(true)}>
          Delete role
        </button>
      </div>
      <RoleSettingsForm key={current.name} role={current} onSaved={saved} />
      <h2>Permissions</h2>
      <form className="panel form-inline" onSubmit={attach.handleSubmit} noValidate aria-label="Add a permission">
        <FormError message={attach.formError} />
        <Field
          label="Permission to add"
          required
          options={[
            { value: '', label: available.length ? 'Choose a permission…' : 'No other permissions' },
            ...available.map((p) => ({ value: p.name, label: p.name })),
          ]}
          {...attach.bind('name')}
        />
        <div className="actions">
          <button type="submit" disabled={attach.submitting}>
            Add permission
          </button>
        </div>
      </form>
      <Notice message={notice} />
      {failure ? <ErrorBanner message={failure} /> : null}
      <DataTable
        caption={`Permissions of ${current.name}`}
        columns={columns}
        rows={current.permissions}
        rowKey={(p) => p.uuid}
        sort={{ key: 'name', direction: 'ascending' }}
        empty={{ title: 'This role has no permissions yet.', hint: 'Add one above.' }}
      />
      {deleting ? (
        <ConfirmDialog
          title={`Delete the role ${current.name}?`}
          confirmLabel="Delete role"
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await unwrap(api.DELETE('/roles/{role}', { params: { path: { role: name } } }));
            void navigate('/roles');
          }}
        >
          <p>Everyone holding it loses its permissions; their current tokens are revoked.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

/** The role's name and description; a new name reaches holders' next tokens (current ones are revoked). */
function RoleSettingsForm(props: { role: Role; onSaved: (role: Role) => void }) {
  const api = useApi();
  const [saved, setSaved] = useState<string | null>(null);
  const form = useForm({
    initial: { name: props.role.name, description: props.role.description ?? '' },
    keepValues: true,
    rules: { name: roleNameRules, description: descriptionRules },
    async submit(values) {
      setSaved(null);
      const name = values.name.trim();
      const role = await unwrap(
        api.PATCH('/roles/{role}', {
          params: { path: { role: props.role.name } },
          body: {
            ...(name !== props.role.name ? { name } : {}),
            description: values.description.trim() || null,
          },
        }),
      );
      if (role.name === props.role.name) setSaved('Role saved.');
      props.onSaved(role);
    },
  });
  return (
    <form className="panel form-inline" onSubmit={form.handleSubmit} noValidate aria-label="Role settings">
      <FormError message={form.formError} />
      <Field label="Name" required hint="Renaming revokes the current tokens of its holders." {...form.bind('name')} />
      <Field label="Description" {...form.bind('description')} />
      <div className="actions">
        <button type="submit" className="button-secondary" disabled={form.submitting}>
          Save role
        </button>
      </div>
      <Notice message={saved} />
    </form>
  );
}
