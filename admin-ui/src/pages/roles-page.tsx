import { useState } from 'react';
import { Link } from 'react-router';
import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { Role } from '../api/types.ts';
import { useLoad } from '../api/use-load.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { Field, FormError } from '../components/field.tsx';
import { Notice } from '../components/status.tsx';
import { descriptionRules, roleNameRules } from '../forms/rules.ts';
import { useForm } from '../forms/use-form.ts';

const columns: Column<Role>[] = [
  {
    key: 'name',
    header: 'Role',
    cell: (role) => <Link to={`/roles/${encodeURIComponent(role.name)}`}>{role.name}</Link>,
    sortValue: (role) => role.name,
  },
  { key: 'description', header: 'Description', cell: (role) => role.description ?? <span className="muted">—</span> },
  {
    key: 'permissions',
    header: 'Permissions',
    cell: (role) =>
      role.permissions.length ? (
        <ul className="chips">
          {role.permissions.map((permission) => (
            <li key={permission.uuid} className="chip">
              {permission.name}
            </li>
          ))}
        </ul>
      ) : (
        <span className="muted">none</span>
      ),
    sortValue: (role) => role.permissions.length,
  },
];

/** Roles with their permissions, and new roles. */
export function RolesPage() {
  const api = useApi();
  const roles = useLoad(() => unwrap(api.GET('/roles')), 'roles');
  const [notice, setNotice] = useState<string | null>(null);
  const form = useForm({
    initial: { name: '', description: '' },
    rules: { name: roleNameRules, description: descriptionRules },
    async submit(values) {
      setNotice(null);
      const role = await unwrap(
        api.POST('/roles', { body: { name: values.name.trim(), description: values.description.trim() || null } }),
      );
      setNotice(`Role ${role.name} created. Open it to add permissions.`);
      roles.reload();
    },
  });

  return (
    <section>
      <div className="page-head">
        <h1>Roles</h1>
      </div>
      <form className="panel form-inline" onSubmit={form.handleSubmit} noValidate aria-label="New role">
        <h2>New role</h2>
        <FormError message={form.formError} />
        <Field label="Name" required {...form.bind('name')} />
        <Field label="Description" {...form.bind('description')} />
        <div className="actions">
          <button type="submit" disabled={form.submitting}>
            {form.submitting ? 'Creating…' : 'Create role'}
          </button>
        </div>
      </form>
      <Notice message={notice} />
      <DataTable
        caption="Roles"
        columns={columns}
        rows={roles.data}
        rowKey={(role) => role.uuid}
        loading={roles.loading}
        error={roles.error}
        onRetry={roles.reload}
        sort={{ key: 'name', direction: 'ascending' }}
        empty={{ title: 'No roles yet.', hint: 'Create one above, then give it permissions.' }}
      />
    </section>
  );
}
