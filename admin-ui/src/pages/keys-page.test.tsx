import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import type { SigningKey } from '../api/types.ts';
import { AsPage, json, problem, standInApi } from '../test-support/stand-in-api.tsx';
import { KeysPage } from './keys-page.tsx';

const key = (kid: string, status: SigningKey['status']): SigningKey =>
  ({
    kid,
    alg: 'RS256',
    status,
    created: '2026-11-23T10:00:00Z',
    activated: status === 'next' ? null : '2026-11-23T10:00:00Z',
    publish_until: status === 'retired' ? '2026-11-24T10:00:00Z' : null,
    public_jwk: { kty: 'RSA', kid },
  }) as SigningKey;

function renderPage(routes: Parameters<typeof standInApi>[0]) {
  const api = standInApi(routes);
  render(
    <AsPage client={api.client}>
      <KeysPage />
    </AsPage>,
  );
  return api;
}

const kids = () =>
  within(screen.getByRole('table', { name: 'Signing keys' }))
    .getAllByRole('row')
    .slice(1)
    .map((row) => within(row).getAllByRole('cell')[0]!.textContent);

describe('the keys page', () => {
  test('lists keys, active first', async () => {
    renderPage({
      'GET /keys': () => json(200, [key('k-next', 'next'), key('k-old', 'retired'), key('k-1', 'active')]),
    });
    await screen.findByRole('table', { name: 'Signing keys' });
    expect(kids()).toEqual(['k-1', 'k-next', 'k-old']);
  });

  test('rotation asks first: Cancel sends nothing; confirming rotates and shows the new keys', async () => {
    const api = renderPage({
      'GET /keys': () => json(200, [key('k-1', 'active'), key('k-2', 'next')]),
      'POST /keys/rotate': () =>
        json(200, {
          activated: ['k-2'],
          retired: ['k-1'],
          keys: [key('k-2', 'active'), key('k-3', 'next'), key('k-1', 'retired')],
        }),
    });
    await screen.findByRole('table', { name: 'Signing keys' });
    await userEvent.click(screen.getByRole('button', { name: 'Rotate keys' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Rotate the signing keys?' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(api.requests.some((r) => r.method === 'POST')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Rotate keys' }));
    await userEvent.click(screen.getByRole('button', { name: 'Rotate now' }));
    expect(await screen.findByText('Rotated: k-2 now signs; k-1 retired.')).toBeTruthy();
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(kids()).toEqual(['k-2', 'k-3', 'k-1']);
    expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/keys/rotate']);
  });

  test('a failed rotation stays in the dialog with the reason', async () => {
    renderPage({
      'GET /keys': () => json(200, [key('k-1', 'active')]),
      'POST /keys/rotate': () => problem(403, 'Forbidden'),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Rotate keys' }));
    await userEvent.click(screen.getByRole('button', { name: 'Rotate now' }));
    const dialog = screen.getByRole('alertdialog');
    await vi.waitFor(() => expect(within(dialog).getByText('Forbidden')).toBeTruthy());
    expect(kids()).toEqual(['k-1']);
  });
});
