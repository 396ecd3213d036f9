import { useState } from 'react';
import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { Permission } from '../api/types.ts';
import { useLoad } from '../api/use-load.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { Field, FormError } from '../components/field.tsx';
import { Notice } from '../components/status.tsx';
import { descriptionRules, httpUrl, maxLength, permissionNameRules } from '../forms/rules.ts';
import { useForm } from '../forms/use-form.ts';
import { PermissionDescriptionForm } from './permission-description-form.tsx';

/** The permission catalogue: new permissions, descriptions, and deletion (which removes them from every holder). */
export function PermissionsPage() {
  const api = useApi();
  const permissions = useLoad(() => unwrap(api.GET('/permissions')), 'permissions');
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Permission | null>(null);
  const [editing, setEditing] = useState<Permission | null>(null);
  const form = useForm({
    initial: { name: '', description: '', resource: '' },
    rules: { name: permissionNameRules, description: descriptionRules, resource: [httpUrl, maxLength(2048)] },
    async submit(values) {
      setNotice(null);
      const created = await unwrap(
        api.POST('/permissions', {
          body: {
            name: values.name.trim(),
            description: values.description.trim() || null,
            resource: values.resource.trim() || null,
          },
        }),
      );
      setNotice(`Permission ${created.name} created.`);
      permissions.reload();
    },
  });

  const columns: Column<Permission>[] = [
    { key: 'name', header: 'Name', cell: (p) => <code>{p.name}</code>, sortValue: (p) => p.name },
    {
      key: 'description',
      header: 'Description',
      cell: (p) => p.description ?? <span className="muted">—</span>,
      sortValue: (p) => p.description ?? '',
    },
    {
      key: 'resource',
      header: 'Audience',
      cell: (p) => (p.resource ? <code>{p.resource}</code> : <span className="muted">every audience</span>),
      sortValue: (p) => p.resource ?? '',
    },
    {
      key: 'actions',
      header: 'Actions',
      cell: (p) => (
        <span className="row-actions">
          <button type="button" className="button-secondary" onClick={() => setEditing(p)}>
            Edit <span className="visually-hidden">{p.name}</span>
          </button>
          <button type="button" className="button-secondary" onClick={() => setDeleting(p)}>
            Delete <span className="visually-hidden">{p.name}</span>
          </button>
        </span>
      ),
    },
  ];

  return (
    <section>
      <div className="page-head">
        <h1>Permissions</h1>
      </div>
      <form className="panel form-inline" onSubmit={form.handleSubmit} noValidate aria-label="New permission">
        <h2>New permission</h2>
        <FormError message={form.formError} />
        <Field label="Name" required hint="Letters, digits and _ . : - (e.g. films_preview)." {...form.bind('name')} />
        <Field label="Description" {...form.bind('description')} />
        <Field
          label="Audience"
          type="url"
          hint="A resource server's identifier; leave empty for every audience."
          {...form.bind('resource')}
        />
        <div className="actions">
          <button type="submit" disabled={form.submitting}>
            {form.submitting ? 'Creating…' : 'Create permission'}
          </button>
        </div>
      </form>
      <Notice message={notice} />
      {editing ? (
        <PermissionDescriptionForm
          key={editing.name}
          permission={editing}
          onCancel={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setNotice(`Description of ${saved.name} saved.`);
            permissions.reload();
          }}
        />
      ) : null}
      <DataTable
        caption="Permissions"
        columns={columns}
        rows={permissions.data}
        rowKey={(p) => p.uuid}
        loading={permissions.loading}
        error={permissions.error}
        onRetry={permissions.reload}
        sort={{ key: 'name', direction: 'ascending' }}
        empty={{ title: 'No permissions yet.', hint: 'Create one above.' }}
      />
      {deleting ? (
        <ConfirmDialog
          title={`Delete the permission ${deleting.name}?`}
          confirmLabel="Delete permission"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await unwrap(api.DELETE('/permissions/{permission}', { params: { path: { permission: deleting.name } } }));
            setNotice(`Permission ${deleting.name} deleted.`);
            permissions.reload();
          }}
        >
          <p>It is removed from every role, user and client that holds it; their current tokens are revoked.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
