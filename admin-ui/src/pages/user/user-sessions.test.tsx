import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import type { Session } from '../../api/types.ts';
import { AsPage, json, problem, standInApi } from '../../test-support/stand-in-api.tsx';
import { UserSessions } from './user-sessions.tsx';

const userId = '3f1c1f0e-1d7a-4a40-9a52-8c9a3ad1c002';
const at = `/users/${userId}/sessions`;
const session = (id: string, signedIn: string, clients: Session['clients'] = []): Session => ({
  id,
  signed_in: signedIn,
  expires: '2026-12-30T10:00:00Z',
  clients,
  current: false,
});

function renderTable(routes: Parameters<typeof standInApi>[0]) {
  const api = standInApi(routes);
  render(
    <AsPage client={api.client}>
      <UserSessions userId={userId} />
    </AsPage>,
  );
  return api;
}

const rows = () =>
  within(screen.getByRole('table', { name: 'Sessions' }))
    .getAllByRole('row')
    .slice(1);

describe('the sessions table', () => {
  test('newest first, naming the apps (by name, else id); one session can be signed out', async () => {
    let sessions = [
      session('old', '2026-11-20T10:00:00Z', [{ client_id: 'tv-app', client_name: null }]),
      session('new', '2026-11-23T10:00:00Z', [{ client_id: 'cinema-web', client_name: 'Cinema web' }]),
    ];
    const api = renderTable({
      [`GET ${at}`]: () => json(200, { sessions }),
      [`DELETE ${at}/old`]: () => {
        sessions = sessions.filter((s) => s.id !== 'old');
        return json(204, null);
      },
    });
    await screen.findByRole('table', { name: 'Sessions' });
    expect(rows().map((row) => within(row).getAllByRole('cell')[2]!.textContent)).toEqual(['Cinema web', 'tv-app']);
    await userEvent.click(within(rows()[1]!).getByRole('button', { name: 'Sign out this session' }));
    await vi.waitFor(() => expect(rows()).toHaveLength(1));
    expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([`${at}/old`]);
  });

  test('a failed sign-out is shown; the list stays', async () => {
    renderTable({
      [`GET ${at}`]: () => json(200, { sessions: [session('gone', '2026-11-20T10:00:00Z')] }),
      [`DELETE ${at}/gone`]: () => problem(404, 'Not Found'),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Sign out this session' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Not Found');
    expect(rows()).toHaveLength(1);
  });

  test('no sessions: says so, and "everywhere" is disabled; with some, it asks before sending', async () => {
    let sessions = [session('a', '2026-11-20T10:00:00Z')];
    const api = renderTable({
      [`GET ${at}`]: () => json(200, { sessions }),
      [`DELETE ${at}`]: () => {
        sessions = [];
        return json(204, null);
      },
    });
    const everywhere = await screen.findByRole('button', { name: 'Sign out everywhere' });
    await vi.waitFor(() => expect((everywhere as HTMLButtonElement).disabled).toBe(false));
    await userEvent.click(everywhere);
    const dialog = screen.getByRole('alertdialog', { name: 'Sign this user out everywhere?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Sign out everywhere' }));
    expect(await screen.findByText('No active sessions.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Sign out everywhere' }) as HTMLButtonElement).disabled).toBe(true);
    expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([at]);
  });
});
