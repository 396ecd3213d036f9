import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import type { UserDetails } from '../../api/types.ts';
import { AsPage, json, problem, standInApi, type Recorded } from '../../test-support/stand-in-api.tsx';
import { ProfileForm } from './profile-form.tsx';

const ada: UserDetails = {
  uuid: '3f1c1f0e-1d7a-4a40-9a52-8c9a3ad1c001',
  email: 'ada@example.com',
  first_name: 'Ada',
  last_name: null,
  email_verified: true,
  blocked: false,
  blocked_at: null,
  created: '2026-11-23T10:00:00Z',
  updated: '2026-11-23T10:00:00Z',
};
const path = `PATCH /users/${ada.uuid}`;

function renderForm(routes: Parameters<typeof standInApi>[0], onSaved = vi.fn()) {
  const api = standInApi(routes);
  render(
    <AsPage client={api.client}>
      <ProfileForm user={ada} onSaved={onSaved} />
    </AsPage>,
  );
  return api;
}

describe('the profile form of a user', () => {
  test('checks the fields before sending: the email, and a name that would be removed', async () => {
    const api = renderForm({});
    const email = screen.getByLabelText('Email');
    expect((email as HTMLInputElement).value).toBe('ada@example.com');
    await userEvent.clear(email);
    await userEvent.clear(screen.getByLabelText('First name'));
    await userEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(screen.getByText('Email is required.')).toBeTruthy();
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(email);
    expect(screen.getByText('A name can be changed but not removed.')).toBeTruthy();
    await userEvent.type(email, 'ada at example');
    await userEvent.type(screen.getByLabelText('Last name'), 'x'.repeat(101));
    await userEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(screen.getByText('Enter an email address like name@example.com.')).toBeTruthy();
    expect(screen.getByText('Use at most 100 characters.')).toBeTruthy();
    expect(api.requests).toHaveLength(0);
  });

  test('a taken address comes back from the server next to the Email field', async () => {
    renderForm({
      [path]: () =>
        problem(409, 'Conflict', [{ field: 'email', message: 'Email grace@example.com is already registered' }]),
    });
    const email = screen.getByLabelText('Email');
    await userEvent.clear(email);
    await userEvent.type(email, 'grace@example.com');
    await userEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    const message = await screen.findByText('Email grace@example.com is already registered');
    expect(email.getAttribute('aria-describedby')).toContain(message.id);
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(email);
    expect((email as HTMLInputElement).value).toBe('grace@example.com');
    expect(screen.queryByText(/Profile saved/)).toBeNull();
  });

  test('sends only what changed and shows what the provider stored', async () => {
    const onSaved = vi.fn();
    const api = renderForm(
      {
        [path]: (request: Recorded) =>
          json(200, {
            ...ada,
            ...(request.body as object),
            email: 'ada.lovelace@example.com',
            email_verified: false,
          }),
      },
      onSaved,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByText('Nothing to save: the profile is unchanged.')).toBeTruthy();
    expect(api.requests).toHaveLength(0);

    const email = screen.getByLabelText('Email');
    await userEvent.clear(email);
    await userEvent.type(email, ' Ada.Lovelace@Example.com ');
    await userEvent.type(screen.getByLabelText('Last name'), 'Lovelace');
    await userEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByText('Profile saved. The new address is not verified yet.')).toBeTruthy();
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]!.headers.get('authorization')).toBe('Bearer admin-token');
    expect(api.requests[0]!.body).toEqual({ email: 'Ada.Lovelace@Example.com', last_name: 'Lovelace' });
    expect(onSaved).toHaveBeenCalledWith(expect.objectContaining({ email: 'ada.lovelace@example.com' }));
    expect((email as HTMLInputElement).value).toBe('ada.lovelace@example.com');
  });
});
