import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { AsPage, json, problem, standInApi } from '../../test-support/stand-in-api.tsx';
import { PasswordResetForm } from './password-reset-form.tsx';

const userId = '3f1c1f0e-1d7a-4a40-9a52-8c9a3ad1c002';
const path = `/users/${userId}/password`;

function renderForm(routes: Parameters<typeof standInApi>[0]) {
  const api = standInApi(routes);
  render(
    <AsPage client={api.client}>
      <PasswordResetForm userId={userId} />
    </AsPage>,
  );
  return api;
}

describe('the password reset form', () => {
  test('refuses an empty or short password before sending', async () => {
    const api = renderForm({});
    await userEvent.click(screen.getByRole('button', { name: 'Set password' }));
    expect(screen.getByText('Password is required.')).toBeTruthy();
    await userEvent.type(screen.getByLabelText('New password'), 'short');
    await userEvent.click(screen.getByRole('button', { name: 'Set password' }));
    expect(screen.getByText('Use at least 8 characters.')).toBeTruthy();
    expect(screen.getByLabelText('New password').getAttribute('type')).toBe('password');
    expect(api.requests).toHaveLength(0);
  });

  test('the server’s refusal (a common password) is shown next to the field', async () => {
    renderForm({
      [`PUT ${path}`]: () =>
        problem(400, 'Bad Request', [{ field: 'new_password', message: 'This password is too common' }]),
    });
    await userEvent.type(screen.getByLabelText('New password'), 'password1');
    await userEvent.click(screen.getByRole('button', { name: 'Set password' }));
    const message = await screen.findByText('This password is too common');
    expect(screen.getByLabelText('New password').getAttribute('aria-describedby')).toContain(message.id);
  });

  test('sets the password, says the user was signed out, and empties the field', async () => {
    const api = renderForm({ [`PUT ${path}`]: () => json(200, { uuid: userId }) });
    await userEvent.type(screen.getByLabelText('New password'), 'a long new secret');
    await userEvent.click(screen.getByRole('button', { name: 'Set password' }));
    expect(await screen.findByText('Password changed. The user was signed out everywhere.')).toBeTruthy();
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]!.method).toBe('PUT');
    expect(api.requests[0]!.body).toEqual({ new_password: 'a long new secret' });
    expect((screen.getByLabelText('New password') as HTMLInputElement).value).toBe('');
  });
});
