import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import type { Login } from '../../api/types.ts';
import { AsPage, json, problem, standInApi } from '../../test-support/stand-in-api.tsx';
import { LoginHistory } from './login-history.tsx';

const userId = '3f1c1f0e-1d7a-4a40-9a52-8c9a3ad1c002';
const at = `/users/${userId}/logins`;
const login = (n: number, result = 'success', method = 'password'): Login => ({
  uuid: `20000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  time: new Date(Date.UTC(2026, 10, 1, 10, n)).toISOString(),
  ip_address: `10.0.0.${n}`,
  user_agent: n % 2 ? 'Firefox' : null,
  method,
  result,
});

function renderHistory(routes: Parameters<typeof standInApi>[0]) {
  const api = standInApi(routes);
  render(
    <AsPage client={api.client}>
      <LoginHistory userId={userId} />
    </AsPage>,
  );
  return api;
}

const ips = () =>
  within(screen.getByRole('table', { name: 'Sign-in history' }))
    .getAllByRole('row')
    .slice(1)
    .map((row) => within(row).getAllByRole('cell')[3]!.textContent);

describe('the sign-in history table', () => {
  test('newest first, ten to a page, failures marked', async () => {
    const logins = Array.from({ length: 12 }, (_, i) => login(i + 1, i === 11 ? 'invalid_credentials' : 'success'));
    renderHistory({ [`GET ${at}`]: () => json(200, { logins }) });
    await screen.findByRole('table', { name: 'Sign-in history' });
    expect(ips()).toEqual([
      '10.0.0.12',
      '10.0.0.11',
      '10.0.0.10',
      '10.0.0.9',
      '10.0.0.8',
      '10.0.0.7',
      '10.0.0.6',
      '10.0.0.5',
      '10.0.0.4',
      '10.0.0.3',
    ]);
    const failed = screen.getByText('invalid_credentials');
    expect(failed.className).toContain('badge-danger');
    expect(screen.getAllByText('success')[0]!.className).not.toContain('badge-danger');
    await userEvent.click(screen.getByRole('button', { name: /next/i }));
    expect(ips()).toEqual(['10.0.0.2', '10.0.0.1']);
  });

  test('none yet: says so; a failed load offers a retry', async () => {
    let fail = true;
    renderHistory({
      [`GET ${at}`]: () => (fail ? problem(503, 'Service Unavailable') : json(200, { logins: [] })),
    });
    expect((await screen.findByRole('alert')).textContent).toContain('Service Unavailable');
    fail = false;
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No sign-ins yet.')).toBeTruthy();
  });
});
