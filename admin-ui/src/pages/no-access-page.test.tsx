import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import { NoAccessPage } from './no-access-page.tsx';

describe('the no-access page', () => {
  test('says who is signed in and what is missing, and signs out', async () => {
    const signOut = vi.fn();
    render(<NoAccessPage who="ann@example.com" onSignOut={signOut} />);
    expect(screen.getByRole('heading', { level: 1, name: 'No access' })).toBeTruthy();
    expect(screen.getByText('ann@example.com').tagName).toBe('STRONG');
    expect(screen.getByText('permissions_admin')).toBeTruthy();
    expect(screen.queryByRole('navigation')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(signOut).toHaveBeenCalledTimes(1);
  });
});
