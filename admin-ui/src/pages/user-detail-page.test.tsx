import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, test, vi } from 'vitest';
import type { UserDetails } from '../api/types.ts';
import { AsPage, json, problem, standInApi } from '../test-support/stand-in-api.tsx';
import { UserDetailPage } from './user-detail-page.tsx';
import { UsersPage } from './users-page.tsx';

const grace: UserDetails = {
  uuid: '3f1c1f0e-1d7a-4a40-9a52-8c9a3ad1c002',
  email: 'grace@example.com',
  first_name: 'Grace',
  last_name: 'Hopper',
  email_verified: true,
  blocked: false,
  blocked_at: null,
  created: '2026-11-23T10:00:00Z',
  updated: '2026-11-23T10:00:00Z',
};
const at = `/users/${grace.uuid}`;

/** What the user page loads besides the user itself, all empty. */
const pageRoutes = {
  [`GET ${at}`]: () => json(200, grace),
  [`GET ${at}/roles`]: () => json(200, []),
  [`GET ${at}/permissions`]: () => json(200, []),
  [`GET ${at}/sessions`]: () => json(200, { sessions: [] }),
  [`GET ${at}/logins`]: () => json(200, { logins: [] }),
  [`GET ${at}/token_claims_preview`]: () => json(200, { audiences: [] }),
  'GET /roles': () => json(200, []),
  'GET /permissions': () => json(200, []),
  'GET /users': () => json(200, { items: [], total: 0 }),
};

function renderPage(routes: Parameters<typeof standInApi>[0]) {
  const api = standInApi(routes);
  render(
    <AsPage client={api.client} path={at}>
      <Routes>
        <Route path="/users" element={<UsersPage />} />
        <Route path="/users/:id" element={<UserDetailPage />} />
      </Routes>
    </AsPage>,
  );
  return api;
}

describe('the user page: deleting the user', () => {
  test('asks first (Cancel sends nothing), then deletes and goes back to the users list', async () => {
    const api = renderPage({ ...pageRoutes, [`DELETE ${at}`]: () => json(204, null) });
    await screen.findByRole('heading', { name: grace.email });
    await userEvent.click(screen.getByRole('button', { name: 'Delete user' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete grace@example.com?' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);

    await userEvent.click(screen.getByRole('button', { name: 'Delete user' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete user' }));
    await screen.findByRole('heading', { name: 'Users' });
    expect(screen.getByText('User grace@example.com deleted.')).toBeTruthy();
    expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([at]);
  });

  test('a refusal stays in the dialog, and the page stays', async () => {
    renderPage({
      ...pageRoutes,
      [`DELETE ${at}`]: () =>
        json(
          409,
          { type: 'about:blank', title: 'Conflict', status: 409, detail: 'You cannot delete your own account' },
          'application/problem+json',
        ),
    });
    await screen.findByRole('heading', { name: grace.email });
    await userEvent.click(screen.getByRole('button', { name: 'Delete user' }));
    const dialog = screen.getByRole('alertdialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete user' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe('You cannot delete your own account');
    expect(screen.getByRole('heading', { name: grace.email })).toBeTruthy();
  });

  test('the profile form shows the saved names in the page head', async () => {
    renderPage({
      ...pageRoutes,
      [`PATCH ${at}`]: () => json(200, { ...grace, first_name: 'Amazing Grace' }),
    });
    await screen.findByRole('heading', { name: grace.email });
    const profile = within(screen.getByRole('form', { name: 'Profile' }));
    await userEvent.clear(profile.getByLabelText('First name'));
    await userEvent.type(profile.getByLabelText('First name'), 'Amazing Grace');
    await userEvent.click(profile.getByRole('button', { name: 'Save profile' }));
    await profile.findByText('Profile saved.');
    await vi.waitFor(() => expect(screen.getByText(/Amazing Grace Hopper/)).toBeTruthy());
  });

  test('a user that does not exist is an error with a retry, not a crash', async () => {
    renderPage({ ...pageRoutes, [`GET ${at}`]: () => problem(404, `User ${grace.uuid} not found`) });
    expect((await screen.findByRole('alert')).textContent).toMatch(/not found/);
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});
