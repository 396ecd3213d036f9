import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import { AsPage, json, problem, standInApi } from '../test-support/stand-in-api.tsx';
import { NewUserForm } from './new-user-form.tsx';

const created = {
  uuid: '3f1c1f0e-1d7a-4a40-9a52-8c9a3ad1c001',
  email: 'ada@example.com',
  first_name: 'Ada',
  last_name: null,
  email_verified: false,
  blocked: false,
  blocked_at: null,
  created: '2026-11-23T10:00:00Z',
  updated: '2026-11-23T10:00:00Z',
};

describe('the new user form', () => {
  test('checks the fields before sending: messages next to them, focus on the first, nothing sent', async () => {
    const api = standInApi({});
    render(
      <AsPage client={api.client}>
        <NewUserForm onCreated={vi.fn()} />
      </AsPage>,
    );
    await userEvent.type(screen.getByLabelText('Password'), 'short');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    const email = screen.getByLabelText('Email');
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(email.getAttribute('aria-describedby')!.split(' ').at(-1)!)?.textContent).toBe(
      'Email is required.',
    );
    expect(document.activeElement).toBe(email);
    expect(screen.getByLabelText('Password').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Use at least 8 characters.')).toBeTruthy();
    await userEvent.type(email, 'not-an-address');
    expect(email.getAttribute('aria-invalid')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(screen.getByText('Enter an email address like name@example.com.')).toBeTruthy();
    expect(api.requests).toHaveLength(0);
  });

  test("shows the server's field errors next to the fields they name", async () => {
    const api = standInApi({
      'POST /users': () =>
        problem(409, 'Conflict', [{ field: 'email', message: 'An account with this email already exists.' }]),
    });
    render(
      <AsPage client={api.client}>
        <NewUserForm onCreated={vi.fn()} />
      </AsPage>,
    );
    await userEvent.type(screen.getByLabelText('Email'), 'ada@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'a long passphrase');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    const message = await screen.findByText('An account with this email already exists.');
    const email = screen.getByLabelText('Email');
    expect(email.getAttribute('aria-describedby')).toContain(message.id);
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(email);
    expect((email as HTMLInputElement).value).toBe('ada@example.com');
  });

  test('an error naming no field of the form is shown above it', async () => {
    const api = standInApi({
      'POST /users': () => json(400, { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'Too weak.' }),
    });
    render(
      <AsPage client={api.client}>
        <NewUserForm onCreated={vi.fn()} />
      </AsPage>,
    );
    await userEvent.type(screen.getByLabelText('Email'), 'ada@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'a long passphrase');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Too weak.');
  });

  test('sends the account with the bearer token and hands back what the server made', async () => {
    const onCreated = vi.fn();
    const api = standInApi({ 'POST /users': () => json(201, created) });
    render(
      <AsPage client={api.client}>
        <NewUserForm onCreated={onCreated} />
      </AsPage>,
    );
    await userEvent.type(screen.getByLabelText('Email'), ' ada@example.com ');
    await userEvent.type(screen.getByLabelText('Password'), 'a long passphrase');
    await userEvent.type(screen.getByLabelText('First name'), 'Ada');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    await vi.waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request!.headers.get('authorization')).toBe('Bearer admin-token');
    expect(request!.body).toEqual({
      email: 'ada@example.com',
      password: 'a long passphrase',
      first_name: 'Ada',
      last_name: null,
      email_verified: false,
    });
  });
});
