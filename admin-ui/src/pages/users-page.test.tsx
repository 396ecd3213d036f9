import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { AsPage, json, standInApi, type Recorded } from '../test-support/stand-in-api.tsx';
import { UsersPage } from './users-page.tsx';

const user = (i: number) => ({
  uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  email: `viewer${String(i).padStart(2, '0')}@example.com`,
  first_name: i % 2 ? 'Ada' : null,
  last_name: null,
  email_verified: true,
  blocked: i === 3,
  blocked_at: i === 3 ? '2026-11-20T10:00:00Z' : null,
  created: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`,
  updated: '2026-11-23T10:00:00Z',
});
const everyone = Array.from({ length: 45 }, (_, i) => user(i));

/** The provider's paging and search, enough to check what the page asks for. */
function listUsers(request: Recorded) {
  const query = new URLSearchParams(request.search);
  const number = Number(query.get('page[number]'));
  const size = Number(query.get('page[size]'));
  const text = query.get('query') ?? '';
  let matching = everyone.filter((u) => u.email.includes(text));
  if (query.get('sort') === '-email') matching = [...matching].reverse();
  return json(200, { items: matching.slice(number * size, (number + 1) * size), total: matching.length });
}

const emails = () =>
  within(screen.getByRole('table', { name: 'Users' }))
    .getAllByRole('link')
    .map((link) => link.textContent);

describe('the users page', () => {
  test('pages, sorts and searches on the server, one request per change', async () => {
    const api = standInApi({ 'GET /users': listUsers });
    render(
      <AsPage client={api.client} path="/users">
        <UsersPage />
      </AsPage>,
    );
    await screen.findByRole('table', { name: 'Users' });
    expect(emails()).toHaveLength(20);
    expect(emails()[0]).toBe('viewer00@example.com');
    expect(screen.getByRole('navigation', { name: 'Users pages' }).textContent).toMatch(/1–20 of 45/);
    expect(new URLSearchParams(api.requests[0]!.search).get('page[size]')).toBe('20');

    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('viewer20@example.com');
    expect(new URLSearchParams(api.requests.at(-1)!.search).get('page[number]')).toBe('1');

    await userEvent.click(screen.getByRole('button', { name: /Email/ }));
    await screen.findByText('viewer44@example.com');
    const sorted = new URLSearchParams(api.requests.at(-1)!.search);
    expect(sorted.get('sort')).toBe('-email');
    expect(sorted.get('page[number]')).toBe('0');
    expect(screen.getByRole('columnheader', { name: /Email/ }).getAttribute('aria-sort')).toBe('descending');

    await userEvent.type(screen.getByRole('searchbox', { name: 'Search users' }), 'viewer0');
    await userEvent.click(screen.getByRole('button', { name: 'Search' }));
    await screen.findByText('viewer09@example.com');
    expect(new URLSearchParams(api.requests.at(-1)!.search).get('query')).toBe('viewer0');
    expect(emails()).toHaveLength(10);
    expect(screen.queryByRole('navigation', { name: 'Users pages' })).toBeTruthy();
    expect(screen.getByText('Blocked')).toBeTruthy();
  });

  test('a search that matches nobody says so', async () => {
    const api = standInApi({ 'GET /users': listUsers });
    render(
      <AsPage client={api.client} path="/users?q=nobody">
        <UsersPage />
      </AsPage>,
    );
    expect(await screen.findByText('No user matches “nobody”.')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });
});
