import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import type { Client, Permission } from '../api/types.ts';
import { AsPage, json, problem, standInApi, type Recorded } from '../test-support/stand-in-api.tsx';
import { ClientsPage } from './clients-page.tsx';

const cinema: Client = {
  client_id: 'cinema-web',
  client_name: 'Cinema web',
  redirect_uris: ['https://cinema.example/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  first_party: true,
  permissions: [],
};
const permission = (name: string): Permission => ({
  uuid: `00000000-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`,
  name,
  description: null,
  resource: null,
});

/** The provider's client routes for one client, keeping what PATCH and the grants change. */
function clientRoutes(start: Client = cinema) {
  let client = { ...start };
  const granted: Permission[] = [];
  return {
    'GET /clients': () => json(200, [client]),
    [`GET /clients/${client.client_id}`]: () => json(200, client),
    [`PATCH /clients/${client.client_id}`]: (request: Recorded) => {
      client = { ...client, ...(request.body as Partial<Client>) };
      return json(200, client);
    },
    [`GET /clients/${client.client_id}/permissions`]: () => json(200, granted),
    [`POST /clients/${client.client_id}/permissions`]: (request: Recorded) => {
      granted.push(permission((request.body as { name: string }).name));
      client = { ...client, permissions: granted.map((p) => p.name) };
      return json(200, granted);
    },
    [`DELETE /clients/${client.client_id}/permissions/films_preview`]: () => {
      granted.splice(0);
      client = { ...client, permissions: [] };
      return json(200, granted);
    },
    'GET /permissions': () => json(200, [permission('films_preview'), permission('pro_read')]),
  };
}

const settings = () => screen.getByRole('form', { name: 'Settings of cinema-web' });

describe('the clients page: editing a client', () => {
  test('Edit opens the editor: loading first, focus on its heading; Close gives focus back', async () => {
    const routes = clientRoutes();
    let answer = () => {};
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const api = standInApi({
      ...routes,
      'GET /clients/cinema-web': async (request) => {
        await answered;
        return routes['GET /clients/cinema-web']!(request);
      },
    });
    render(
      <AsPage client={api.client} path="/clients">
        <ClientsPage />
      </AsPage>,
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Edit cinema-web' }));
    expect(screen.getByText('Loading the client…').getAttribute('role')).toBe('status');
    const heading = screen.getByRole('heading', { name: 'Edit cinema-web' });
    expect(document.activeElement).toBe(heading);
    answer();
    await screen.findByRole('heading', { name: 'Edit Cinema web' });
    expect(document.activeElement).toBe(heading);
    expect(within(settings()).getByLabelText('Name')).toHaveProperty('value', 'Cinema web');
    expect(within(settings()).getByLabelText('Redirect URIs')).toHaveProperty(
      'value',
      'https://cinema.example/callback',
    );
    expect(within(settings()).getByRole('checkbox', { name: /Refresh token/ })).toHaveProperty('checked', true);
    expect(within(settings()).getByRole('checkbox', { name: /First party/ })).toHaveProperty('checked', true);
    await userEvent.click(screen.getByRole('button', { name: 'Close the editor' }));
    expect(screen.queryByRole('form', { name: 'Settings of cinema-web' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Edit cinema-web' }));
  });

  test('checks the settings before sending: name, redirect URIs, grant types a public client cannot use', async () => {
    const api = standInApi(clientRoutes());
    render(
      <AsPage client={api.client} path="/clients?edit=cinema-web">
        <ClientsPage />
      </AsPage>,
    );
    await screen.findByRole('form', { name: 'Settings of cinema-web' });
    const form = within(settings());
    await userEvent.clear(form.getByLabelText('Name'));
    await userEvent.clear(form.getByLabelText('Redirect URIs'));
    await userEvent.type(form.getByLabelText('Post-logout redirect URIs'), 'cinema.example/bye');
    await userEvent.click(form.getByRole('checkbox', { name: /Client credentials/ }));
    await userEvent.click(form.getByRole('button', { name: 'Save settings' }));
    expect(form.getByText('Name is required.')).toBeTruthy();
    expect(document.activeElement).toBe(form.getByLabelText('Name'));
    expect(form.getByText('The authorization code flow needs at least one redirect URI.')).toBeTruthy();
    expect(form.getByText(/^cinema\.example\/bye: Enter a full address/)).toBeTruthy();
    expect(form.getByText('A public client has no secret, so it cannot use client credentials.')).toBeTruthy();
    const group = form.getByRole('group', { name: 'Grant types' });
    expect(group.getAttribute('aria-describedby')).toContain(
      form.getByText('A public client has no secret, so it cannot use client credentials.').id,
    );

    for (const box of form.getAllByRole('checkbox', { name: /Authorization code|Refresh token|Client credentials/ })) {
      if ((box as HTMLInputElement).checked) await userEvent.click(box);
    }
    await userEvent.click(form.getByRole('button', { name: 'Save settings' }));
    expect(form.getByText('Choose at least one grant type.')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });

  test('metadata the provider refuses (422) is shown at the field it names', async () => {
    const api = standInApi({
      ...clientRoutes(),
      'PATCH /clients/cinema-web': () =>
        json(
          422,
          {
            type: 'https://usher.dev/problems/invalid-client-metadata',
            title: 'Unprocessable Content',
            status: 422,
            detail: 'redirect_uris must not contain fragments',
          },
          'application/problem+json',
        ),
    });
    render(
      <AsPage client={api.client} path="/clients?edit=cinema-web">
        <ClientsPage />
      </AsPage>,
    );
    await screen.findByRole('form', { name: 'Settings of cinema-web' });
    const form = within(settings());
    const redirects = form.getByLabelText('Redirect URIs');
    await userEvent.type(redirects, '\nhttps://cinema.example/#again');
    await userEvent.click(form.getByRole('button', { name: 'Save settings' }));
    const message = await form.findByText('redirect_uris must not contain fragments');
    expect(redirects.getAttribute('aria-describedby')).toContain(message.id);
    expect(redirects.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(redirects);
  });

  test('sends only what changed, shows the saved client in the list, and says so', async () => {
    const api = standInApi(clientRoutes());
    render(
      <AsPage client={api.client} path="/clients?edit=cinema-web">
        <ClientsPage />
      </AsPage>,
    );
    await screen.findByRole('form', { name: 'Settings of cinema-web' });
    const form = within(settings());
    await userEvent.click(form.getByRole('button', { name: 'Save settings' }));
    expect(await form.findByText('Nothing to save: no setting was changed.')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);

    await userEvent.clear(form.getByLabelText('Name'));
    await userEvent.type(form.getByLabelText('Name'), 'Cinema on the web');
    await userEvent.type(form.getByLabelText('Post-logout redirect URIs'), 'https://cinema.example/');
    await userEvent.click(form.getByRole('checkbox', { name: /Refresh token/ }));
    await userEvent.click(form.getByRole('checkbox', { name: /First party/ }));
    await userEvent.click(form.getByRole('button', { name: 'Save settings' }));
    expect(await form.findByText('Settings of cinema-web saved.')).toBeTruthy();
    const patch = api.requests.find((r) => r.method === 'PATCH');
    expect(patch?.headers.get('authorization')).toBe('Bearer admin-token');
    expect(patch?.body).toEqual({
      client_name: 'Cinema on the web',
      post_logout_redirect_uris: ['https://cinema.example/'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      first_party: false,
    });
    const table = screen.getByRole('table', { name: 'Clients' });
    await within(table).findByText('Cinema on the web');
    expect(screen.getByRole('heading', { name: 'Edit Cinema on the web' })).toBeTruthy();
  });

  test('grants a permission to the client and takes it away; the list shows it', async () => {
    const api = standInApi(clientRoutes());
    render(
      <AsPage client={api.client} path="/clients?edit=cinema-web">
        <ClientsPage />
      </AsPage>,
    );
    const grants = within(await screen.findByRole('region', { name: 'Permissions' }));
    expect(await grants.findByText('No permissions.')).toBeTruthy();
    await userEvent.click(grants.getByRole('button', { name: 'Add permission' }));
    expect(grants.getByText('Permission is required.')).toBeTruthy();
    await userEvent.selectOptions(grants.getByLabelText('Permission to add'), 'films_preview');
    await userEvent.click(grants.getByRole('button', { name: 'Add permission' }));
    await grants.findByRole('button', { name: 'Remove films_preview' });
    expect(screen.getByText('Permission films_preview granted to cinema-web.')).toBeTruthy();
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ name: 'films_preview' });
    const table = within(screen.getByRole('table', { name: 'Clients' }));
    await table.findByText('films_preview');
    expect(screen.getByText(/a grant type this client does not use/)).toBeTruthy();

    await userEvent.click(grants.getByRole('button', { name: 'Remove films_preview' }));
    await screen.findByText('Permission films_preview taken from cinema-web.');
    await vi.waitFor(() => expect(table.queryByText('films_preview')).toBeNull());
  });

  test('a client that does not exist says so in the editor', async () => {
    const api = standInApi({
      'GET /clients': () => json(200, [cinema]),
      'GET /clients/gone': () => problem(404, 'Client gone not found'),
      'GET /clients/gone/permissions': () => problem(404, 'Client gone not found'),
      'GET /permissions': () => json(200, []),
    });
    render(
      <AsPage client={api.client} path="/clients?edit=gone">
        <ClientsPage />
      </AsPage>,
    );
    expect((await screen.findByRole('alert')).textContent).toMatch(/Client gone not found/);
    expect(screen.getByRole('heading', { name: 'Edit gone' })).toBeTruthy();
  });
});
