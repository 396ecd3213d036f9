import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import type { Permission, Role } from '../api/types.ts';
import { AsPage, json, problem, standInApi } from '../test-support/stand-in-api.tsx';
import { RolesPage } from './roles-page.tsx';

const permission = (name: string): Permission => ({
  uuid: `00000000-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`,
  name,
  description: null,
  resource: null,
});
const role = (name: string, permissions: string[] = [], description: string | null = null): Role => ({
  uuid: `10000000-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`,
  name,
  description,
  permissions: permissions.map(permission),
});

function renderPage(routes: Parameters<typeof standInApi>[0]) {
  const api = standInApi(routes);
  render(
    <AsPage client={api.client}>
      <RolesPage />
    </AsPage>,
  );
  return api;
}

describe('the roles page', () => {
  test('lists roles with their permissions and a link to each', async () => {
    renderPage({ 'GET /roles': () => json(200, [role('subscriber', ['pro_read'], 'Pays'), role('empty')]) });
    const table = await screen.findByRole('table', { name: 'Roles' });
    const rows = within(table).getAllByRole('row').slice(1);
    // Sorted by name.
    expect(rows.map((row) => within(row).getByRole('link').textContent)).toEqual(['empty', 'subscriber']);
    expect(within(rows[1]!).getByRole('link', { name: 'subscriber' }).getAttribute('href')).toBe('/roles/subscriber');
    expect(within(rows[1]!).getByText('pro_read')).toBeTruthy();
    expect(within(rows[1]!).getByText('Pays')).toBeTruthy();
    expect(within(rows[0]!).getByText('none')).toBeTruthy();
  });

  test('no roles: says so and how to start', async () => {
    renderPage({ 'GET /roles': () => json(200, []) });
    expect(await screen.findByText('No roles yet.')).toBeTruthy();
    expect(screen.getByText('Create one above, then give it permissions.')).toBeTruthy();
  });

  test('the new-role form checks the name and description before sending', async () => {
    const api = renderPage({ 'GET /roles': () => json(200, []) });
    await screen.findByText('No roles yet.');
    await userEvent.click(screen.getByRole('button', { name: 'Create role' }));
    expect(screen.getByText('Name is required.')).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByLabelText('Name'));
    await userEvent.type(screen.getByLabelText('Name'), 'x'.repeat(81));
    await userEvent.click(screen.getByRole('button', { name: 'Create role' }));
    expect(screen.getByText('Use at most 80 characters.')).toBeTruthy();
    await userEvent.clear(screen.getByLabelText('Name'));
    await userEvent.type(screen.getByLabelText('Name'), 'critic');
    await userEvent.click(screen.getByLabelText('Description'));
    await userEvent.paste('d'.repeat(257));
    await userEvent.click(screen.getByRole('button', { name: 'Create role' }));
    expect(screen.getByText('Use at most 256 characters.')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  test('a taken name comes back next to the Name field', async () => {
    renderPage({
      'GET /roles': () => json(200, [role('admin')]),
      'POST /roles': () => problem(409, 'Conflict', [{ field: 'name', message: 'Role admin already exists' }]),
    });
    await screen.findByRole('table');
    await userEvent.type(screen.getByLabelText('Name'), 'admin');
    await userEvent.click(screen.getByRole('button', { name: 'Create role' }));
    const message = await screen.findByText('Role admin already exists');
    expect(screen.getByLabelText('Name').getAttribute('aria-describedby')).toContain(message.id);
    expect(screen.getByLabelText('Name').getAttribute('aria-invalid')).toBe('true');
  });

  test('creates a role (trimmed, empty description as null) and shows it in the list', async () => {
    const roles: Role[] = [];
    const api = renderPage({
      'GET /roles': () => json(200, roles),
      'POST /roles': (request) => {
        const made = role((request.body as { name: string }).name);
        roles.push(made);
        return json(201, made);
      },
    });
    await screen.findByText('No roles yet.');
    await userEvent.type(screen.getByLabelText('Name'), '  critic ');
    await userEvent.click(screen.getByRole('button', { name: 'Create role' }));
    const table = await screen.findByRole('table', { name: 'Roles' });
    expect(within(table).getByRole('link', { name: 'critic' })).toBeTruthy();
    expect(screen.getByText('Role critic created. Open it to add permissions.')).toBeTruthy();
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ name: 'critic', description: null });
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('');
  });
});
