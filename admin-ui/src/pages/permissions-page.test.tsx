import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import type { Permission } from '../api/types.ts';
import { AsPage, json, problem, standInApi } from '../test-support/stand-in-api.tsx';
import { PermissionsPage } from './permissions-page.tsx';

const permission = (name: string, description: string | null = null): Permission => ({
  uuid: `00000000-0000-4000-8000-${String(name.length).padStart(12, '0')}${name}`.slice(0, 36),
  name,
  description,
  resource: null,
});

describe('the permissions page', () => {
  test('lists permissions, and refuses a name the API would refuse before sending it', async () => {
    const api = standInApi({ 'GET /permissions': () => json(200, [permission('pro_read', 'Subscribers')]) });
    render(
      <AsPage client={api.client}>
        <PermissionsPage />
      </AsPage>,
    );
    expect(screen.getByText(/Loading permissions/)).toBeTruthy();
    const table = await screen.findByRole('table', { name: 'Permissions' });
    expect(within(table).getByRole('cell', { name: 'pro_read' })).toBeTruthy();
    const name = screen.getByLabelText('Name');
    await userEvent.type(name, 'films preview');
    await userEvent.type(screen.getByLabelText('Audience'), 'ftp://films');
    await userEvent.click(screen.getByRole('button', { name: 'Create permission' }));
    expect(screen.getByText('Use 1–80 letters, digits or _ . : - (no spaces).')).toBeTruthy();
    expect(screen.getByText('Use an http:// or https:// address.')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  test('a taken name comes back from the server next to the Name field', async () => {
    const api = standInApi({
      'GET /permissions': () => json(200, [permission('pro_read')]),
      'POST /permissions': () =>
        problem(409, 'Conflict', [{ field: 'name', message: 'Permission pro_read already exists' }]),
    });
    render(
      <AsPage client={api.client}>
        <PermissionsPage />
      </AsPage>,
    );
    await screen.findByRole('table');
    await userEvent.type(screen.getByLabelText('Name'), 'pro_read');
    await userEvent.click(screen.getByRole('button', { name: 'Create permission' }));
    const message = await screen.findByText('Permission pro_read already exists');
    expect(screen.getByLabelText('Name').getAttribute('aria-describedby')).toContain(message.id);
  });

  test('creates a permission and shows it in the list; an empty catalogue says so', async () => {
    const list: Permission[] = [];
    const api = standInApi({
      'GET /permissions': () => json(200, list),
      'POST /permissions': (request) => {
        const body = request.body as { name: string; description: string | null };
        const made = permission(body.name, body.description);
        list.push(made);
        return json(201, made);
      },
    });
    render(
      <AsPage client={api.client}>
        <PermissionsPage />
      </AsPage>,
    );
    expect(await screen.findByText('No permissions yet.')).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Name'), 'films_preview');
    await userEvent.type(screen.getByLabelText('Description'), 'Early access');
    await userEvent.click(screen.getByRole('button', { name: 'Create permission' }));
    const table = await screen.findByRole('table', { name: 'Permissions' });
    expect(within(table).getByRole('cell', { name: 'films_preview' })).toBeTruthy();
    expect(screen.getByText('Permission films_preview created.')).toBeTruthy();
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({
      name: 'films_preview',
      description: 'Early access',
      resource: null,
    });
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('');
  });

  test('deleting asks first, and Cancel sends nothing', async () => {
    const api = standInApi({
      'GET /permissions': () => json(200, [permission('pro_read')]),
      'DELETE /permissions/pro_read': () => json(204, null),
    });
    render(
      <AsPage client={api.client}>
        <PermissionsPage />
      </AsPage>,
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Delete pro_read' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete the permission pro_read?' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    await userEvent.tab();
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Delete permission' }));
    await userEvent.tab();
    // Focus stays inside the dialog.
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Delete pro_read' }));
    await userEvent.click(screen.getByRole('button', { name: 'Delete permission' }));
    await vi.waitFor(() => expect(api.requests.some((r) => r.method === 'DELETE')).toBe(true));
  });

  test('edits a description: checked before sending, saved, shown in the list; Cancel closes', async () => {
    let stored = permission('pro_read', 'Subscribers');
    const api = standInApi({
      'GET /permissions': () => json(200, [stored]),
      'PATCH /permissions/pro_read': (request) => {
        stored = { ...stored, ...(request.body as { description: string | null }) };
        return json(200, stored);
      },
    });
    render(
      <AsPage client={api.client}>
        <PermissionsPage />
      </AsPage>,
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Edit pro_read' }));
    const editor = screen.getByRole('form', { name: 'Edit pro_read' });
    const field = within(editor).getByLabelText('New description') as HTMLInputElement;
    expect(field.value).toBe('Subscribers');
    await userEvent.clear(field);
    await userEvent.click(field);
    await userEvent.paste('d'.repeat(257));
    await userEvent.click(within(editor).getByRole('button', { name: 'Save description' }));
    expect(within(editor).getByText('Use at most 256 characters.')).toBeTruthy();
    expect(api.requests.some((r) => r.method === 'PATCH')).toBe(false);
    await userEvent.clear(field);
    await userEvent.type(field, 'Paying subscribers');
    await userEvent.click(within(editor).getByRole('button', { name: 'Save description' }));
    expect(await screen.findByText('Description of pro_read saved.')).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Edit pro_read' })).toBeNull();
    const table = screen.getByRole('table', { name: 'Permissions' });
    expect(await within(table).findByText('Paying subscribers')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'PATCH').map((r) => r.body)).toEqual([
      { description: 'Paying subscribers' },
    ]);
    await userEvent.click(screen.getByRole('button', { name: 'Edit pro_read' }));
    await userEvent.clear(
      within(screen.getByRole('form', { name: 'Edit pro_read' })).getByLabelText('New description'),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('form', { name: 'Edit pro_read' })).toBeNull();
    expect(api.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  test('an emptied description is sent as null; a server refusal is shown at the field', async () => {
    let refuse = true;
    const api = standInApi({
      'GET /permissions': () => json(200, [permission('pro_read', 'Subscribers')]),
      'PATCH /permissions/pro_read': () =>
        refuse
          ? problem(400, 'Bad Request', [{ field: 'description', message: 'Too long for the server' }])
          : json(200, permission('pro_read')),
    });
    render(
      <AsPage client={api.client}>
        <PermissionsPage />
      </AsPage>,
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Edit pro_read' }));
    const editor = screen.getByRole('form', { name: 'Edit pro_read' });
    await userEvent.clear(within(editor).getByLabelText('New description'));
    await userEvent.click(within(editor).getByRole('button', { name: 'Save description' }));
    const message = await within(editor).findByText('Too long for the server');
    expect(within(editor).getByLabelText('New description').getAttribute('aria-describedby')).toContain(message.id);
    refuse = false;
    await userEvent.click(within(editor).getByRole('button', { name: 'Save description' }));
    expect(await screen.findByText('Description of pro_read saved.')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'PATCH').map((r) => r.body)).toEqual([
      { description: null },
      { description: null },
    ]);
  });
});
