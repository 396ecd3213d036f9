import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, test, vi } from 'vitest';
import type { Permission, Role } from '../api/types.ts';
import { AsPage, json, problem, standInApi, type Recorded } from '../test-support/stand-in-api.tsx';
import { RoleDetailPage } from './role-detail-page.tsx';

const permission = (name: string): Permission => ({
  uuid: `00000000-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`,
  name,
  description: `About ${name}`,
  resource: null,
});
const catalogue = [permission('can_view_file'), permission('pro_read')];

/** The provider's routes for one role, keeping what the page changes. */
function roleRoutes(start: Role) {
  let current: Role = { ...start };
  return {
    'GET /permissions': () => json(200, catalogue),
    [`GET /roles/${start.name}`]: () => json(200, current),
    [`POST /roles/${start.name}/permissions`]: (request: Recorded) => {
      const name = (request.body as { name: string }).name;
      current = { ...current, permissions: [...current.permissions, permission(name)] };
      return json(200, current.permissions);
    },
    [`PATCH /roles/${start.name}`]: (request: Recorded) => {
      current = { ...current, ...(request.body as Partial<Role>) };
      return json(200, current);
    },
  };
}

const editor: Role = {
  uuid: '10000000-0000-4000-8000-000000000001',
  name: 'editor',
  description: null,
  permissions: [],
};

function renderPage(routes: Parameters<typeof standInApi>[0], path = '/roles/editor') {
  const api = standInApi(routes);
  render(
    <AsPage client={api.client} path={path}>
      <Routes>
        <Route path="/roles/:name" element={<RoleDetailPage />} />
      </Routes>
    </AsPage>,
  );
  return api;
}

describe('the role page', () => {
  test('the attach form offers only permissions the role lacks, requires a choice, and adds it', async () => {
    const api = renderPage(roleRoutes(editor));
    expect(await screen.findByText('This role has no permissions yet.')).toBeTruthy();
    const attach = screen.getByRole('form', { name: 'Add a permission' });
    await userEvent.click(within(attach).getByRole('button', { name: 'Add permission' }));
    expect(within(attach).getByText('Permission is required.')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    await userEvent.selectOptions(within(attach).getByLabelText('Permission to add'), 'pro_read');
    await userEvent.click(within(attach).getByRole('button', { name: 'Add permission' }));
    const table = await screen.findByRole('table', { name: 'Permissions of editor' });
    expect(within(table).getByRole('cell', { name: 'pro_read' })).toBeTruthy();
    expect(screen.getByText('Permission pro_read added to editor. Holders get it in their next token.')).toBeTruthy();
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ name: 'pro_read' });
    const options = within(within(attach).getByLabelText('Permission to add')).getAllByRole('option');
    expect(options.map((option) => option.textContent)).toEqual(['Choose a permission…', 'can_view_file']);
  });

  test('a refused attach is shown at the form', async () => {
    renderPage({
      ...roleRoutes(editor),
      'POST /roles/editor/permissions': () =>
        problem(404, 'Not Found', [{ field: 'name', message: 'Permission pro_read not found' }]),
    });
    await screen.findByText('This role has no permissions yet.');
    await userEvent.selectOptions(screen.getByLabelText('Permission to add'), 'pro_read');
    await userEvent.click(screen.getByRole('button', { name: 'Add permission' }));
    expect(await screen.findByText('Permission pro_read not found')).toBeTruthy();
  });

  test('a failed detach is shown, and the role is read again', async () => {
    const api = renderPage({
      ...roleRoutes({ ...editor, permissions: [permission('pro_read')] }),
      'DELETE /roles/editor/permissions/pro_read': () => problem(500, 'Internal Server Error'),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Remove pro_read' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not remove pro_read: Internal Server Error');
    await vi.waitFor(() =>
      expect(api.requests.filter((r) => r.method === 'GET' && r.path === '/roles/editor')).toHaveLength(2),
    );
    expect(screen.getByRole('cell', { name: 'pro_read' })).toBeTruthy();
  });

  test('a detach that works says so and clears an earlier failure', async () => {
    let fail = true;
    renderPage({
      ...roleRoutes({ ...editor, permissions: [permission('pro_read')] }),
      'DELETE /roles/editor/permissions/pro_read': () => (fail ? problem(503, 'Service Unavailable') : json(200, [])),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Remove pro_read' }));
    await screen.findByRole('alert');
    fail = false;
    await userEvent.click(screen.getByRole('button', { name: 'Remove pro_read' }));
    expect(await screen.findByText('Permission pro_read removed from editor.')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByText('This role has no permissions yet.')).toBeTruthy();
  });

  test('renaming sends the new name and moves to the role’s new address', async () => {
    const renamed: Role = { ...editor, name: 'editors', description: 'Edit things' };
    const api = renderPage({
      ...roleRoutes(editor),
      'GET /roles/editors': () => json(200, renamed),
      'PATCH /roles/editor': () => json(200, renamed),
    });
    const settings = await screen.findByRole('form', { name: 'Role settings' });
    const name = within(settings).getByLabelText('Name');
    await userEvent.clear(name);
    await userEvent.click(within(settings).getByRole('button', { name: 'Save role' }));
    expect(within(settings).getByText('Name is required.')).toBeTruthy();
    await userEvent.type(name, 'editors');
    await userEvent.type(within(settings).getByLabelText('Description'), 'Edit things');
    await userEvent.click(within(settings).getByRole('button', { name: 'Save role' }));
    expect(await screen.findByRole('heading', { name: 'Role editors' })).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'PATCH').map((r) => r.body)).toEqual([
      { name: 'editors', description: 'Edit things' },
    ]);
    await vi.waitFor(() =>
      expect(api.requests.some((r) => r.method === 'GET' && r.path === '/roles/editors')).toBe(true),
    );
    expect(screen.getByText(/Role editor renamed to editors\./)).toBeTruthy();
  });

  test('a taken name is shown next to the Name field; a description alone keeps the name out of the body', async () => {
    const api = renderPage({
      ...roleRoutes(editor),
      'PATCH /roles/editor': (request) =>
        (request.body as { name?: string }).name
          ? problem(409, 'Conflict', [{ field: 'name', message: 'Role admin already exists' }])
          : json(200, { ...editor, description: 'Edits' }),
    });
    const settings = await screen.findByRole('form', { name: 'Role settings' });
    await userEvent.clear(within(settings).getByLabelText('Name'));
    await userEvent.type(within(settings).getByLabelText('Name'), 'admin');
    await userEvent.click(within(settings).getByRole('button', { name: 'Save role' }));
    expect(await within(settings).findByText('Role admin already exists')).toBeTruthy();
    await userEvent.clear(within(settings).getByLabelText('Name'));
    await userEvent.type(within(settings).getByLabelText('Name'), 'editor');
    await userEvent.type(within(settings).getByLabelText('Description'), 'Edits');
    await userEvent.click(within(settings).getByRole('button', { name: 'Save role' }));
    expect(await within(settings).findByText('Role saved.')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'PATCH').at(-1)?.body).toEqual({ description: 'Edits' });
  });
});
