import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import type { Client } from '../api/types.ts';
import { AsPage, json, problem, standInApi, type Recorded } from '../test-support/stand-in-api.tsx';
import { ClientsPage } from './clients-page.tsx';

/** The clients routes: registration answers the client once with its secret, the list never does. */
function registry(secret: string | null) {
  const clients: Client[] = [];
  return {
    'GET /clients': () => json(200, clients),
    'POST /clients': (request: Recorded) => {
      const body = request.body as Record<string, unknown>;
      const client = { client_id: 'generated-id', first_party: false, permissions: [], ...body } as Client;
      clients.push(client);
      return json(201, { ...client, ...(secret ? { client_secret: secret } : {}) });
    },
  };
}

function renderPage(routes: Parameters<typeof standInApi>[0]) {
  const api = standInApi(routes);
  render(
    <AsPage client={api.client} path="/clients">
      <ClientsPage />
    </AsPage>,
  );
  return api;
}

const form = () => within(screen.getByRole('form', { name: 'Register a client' }));

describe('the new client form', () => {
  test('checks name, client id and redirect URIs before sending; a machine needs no redirect', async () => {
    const api = renderPage(registry(null));
    await screen.findByText('No clients registered.');
    await userEvent.click(form().getByRole('button', { name: 'Register client' }));
    expect(form().getByText('Name is required.')).toBeTruthy();
    expect(form().getByText('Add at least one redirect URI.')).toBeTruthy();
    await userEvent.type(form().getByLabelText('Name'), 'Cinema');
    await userEvent.type(form().getByLabelText('Client id'), 'has space');
    await userEvent.type(form().getByLabelText('Redirect URIs'), 'ftp://cinema.example/cb');
    await userEvent.click(form().getByRole('button', { name: 'Register client' }));
    expect(form().getByText('Use letters, digits and . _ ~ - only.')).toBeTruthy();
    expect(form().getByText('ftp://cinema.example/cb: Use an http:// or https:// address.')).toBeTruthy();
    await userEvent.selectOptions(form().getByLabelText('Kind'), 'machine');
    expect(form().queryByLabelText('Redirect URIs')).toBeNull();
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  test('a confidential client’s secret is shown once, and gone after Done', async () => {
    const api = renderPage(registry('s3cr3t-shown-once'));
    await screen.findByText('No clients registered.');
    await userEvent.type(form().getByLabelText('Name'), 'Cinema web');
    await userEvent.type(form().getByLabelText('Redirect URIs'), 'https://cinema.example/callback');
    await userEvent.click(form().getByRole('button', { name: 'Register client' }));
    expect(await screen.findByText('s3cr3t-shown-once')).toBeTruthy();
    expect(screen.getByText('Client Cinema web registered.')).toBeTruthy();
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({
      client_name: 'Cinema web',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['https://cinema.example/callback'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const table = await screen.findByRole('table', { name: 'Clients' });
    expect(within(table).queryByText('s3cr3t-shown-once')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByText('s3cr3t-shown-once')).toBeNull();
    expect((form().getByLabelText('Name') as HTMLInputElement).value).toBe('');
  });

  test('a public or machine client: the body fits its kind; no secret box without a secret', async () => {
    const api = renderPage(registry(null));
    await screen.findByText('No clients registered.');
    await userEvent.type(form().getByLabelText('Name'), 'Importer');
    await userEvent.type(form().getByLabelText('Client id'), 'importer');
    await userEvent.selectOptions(form().getByLabelText('Kind'), 'machine');
    await userEvent.click(form().getByRole('button', { name: 'Register client' }));
    expect(await screen.findByText('Client Importer registered.')).toBeTruthy();
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({
      client_name: 'Importer',
      client_id: 'importer',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    });
    expect(screen.queryByRole('button', { name: 'Done' })).toBeNull();
  });

  test('a taken client id comes back next to its field', async () => {
    renderPage({
      'GET /clients': () => json(200, []),
      'POST /clients': () =>
        problem(409, 'Conflict', [{ field: 'client_id', message: 'Client importer already exists' }]),
    });
    await screen.findByText('No clients registered.');
    await userEvent.type(form().getByLabelText('Name'), 'Importer');
    await userEvent.type(form().getByLabelText('Client id'), 'importer');
    await userEvent.selectOptions(form().getByLabelText('Kind'), 'machine');
    await userEvent.click(form().getByRole('button', { name: 'Register client' }));
    const message = await form().findByText('Client importer already exists');
    expect(form().getByLabelText('Client id').getAttribute('aria-describedby')).toContain(message.id);
  });
});
