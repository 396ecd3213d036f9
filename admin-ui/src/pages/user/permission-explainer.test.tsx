import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import type { PermissionExplanation } from '../../api/types.ts';
import { AsPage, json, problem, standInApi } from '../../test-support/stand-in-api.tsx';
import { PermissionExplainer } from './permission-explainer.tsx';

const userId = '3f1c1f0e-1d7a-4a40-9a52-8c9a3ad1c002';
const path = `/users/${userId}/permission_explanation`;

function renderExplainer(answer: (permission: string) => Response) {
  const api = standInApi({
    [`GET ${path}`]: (request) => answer(new URLSearchParams(request.search).get('permission') ?? ''),
  });
  render(
    <AsPage client={api.client}>
      <PermissionExplainer userId={userId} />
    </AsPage>,
  );
  return api;
}

const explanation = (valid: boolean, names: PermissionExplanation['names'], summary: string) =>
  ({
    user_id: userId,
    query: { all: names.map((n) => n.name) },
    valid,
    superuser: [],
    names,
    summary,
  }) as PermissionExplanation;

describe('the permission explainer', () => {
  test('refuses what is not a permission name before asking', async () => {
    const api = renderExplainer(() => json(500, {}));
    await userEvent.click(screen.getByRole('button', { name: 'Explain' }));
    expect(screen.getByText('Name is required.')).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Permission'), 'pro read');
    await userEvent.click(screen.getByRole('button', { name: 'Explain' }));
    expect(screen.getByText('Use 1–80 letters, digits or _ . : - (no spaces).')).toBeTruthy();
    expect(api.requests).toHaveLength(0);
  });

  test('names the grants that give a permission, and keeps the question', async () => {
    const api = renderExplainer(() =>
      json(
        200,
        explanation(
          true,
          [
            {
              name: 'pro_read',
              holds: true,
              exists: true,
              granted_by: [{ kind: 'role', role: 'subscriber' }, { kind: 'direct' }],
              via_superuser: false,
            },
          ],
          'Holds: pro_read from the role subscriber, a direct grant.',
        ),
      ),
    );
    await userEvent.type(screen.getByLabelText('Permission'), 'pro_read');
    await userEvent.click(screen.getByRole('button', { name: 'Explain' }));
    expect(await screen.findByText('Holds: pro_read from the role subscriber, a direct grant.')).toBeTruthy();
    expect(screen.getByText(/granted by the role subscriber, a direct grant\./)).toBeTruthy();
    expect(new URLSearchParams(api.requests[0]!.search).get('permission')).toBe('pro_read');
    expect((screen.getByLabelText('Permission') as HTMLInputElement).value).toBe('pro_read');
  });

  test('says when all_all is the reason, when nothing grants it, and when no such permission exists', async () => {
    const answers: Record<string, PermissionExplanation> = {
      films_edit: explanation(
        true,
        [{ name: 'films_edit', holds: true, exists: true, granted_by: [], via_superuser: true }],
        'Holds: all_all (from the role superuser) satisfies every query.',
      ),
      pro_read: explanation(
        false,
        [{ name: 'pro_read', holds: false, exists: true, granted_by: [], via_superuser: false }],
        'Does not hold: pro_read not granted.',
      ),
      ghost: explanation(
        false,
        [{ name: 'ghost', holds: false, exists: false, granted_by: [], via_superuser: false }],
        'Does not hold: ghost not granted (no such permission).',
      ),
    };
    renderExplainer((permission) => json(200, answers[permission]));
    const ask = async (name: string) => {
      await userEvent.clear(screen.getByLabelText('Permission'));
      await userEvent.type(screen.getByLabelText('Permission'), name);
      await userEvent.click(screen.getByRole('button', { name: 'Explain' }));
    };
    await ask('films_edit');
    expect(await screen.findByText(/holds through all_all \(superuser\)\./)).toBeTruthy();
    await ask('pro_read');
    expect(await screen.findByText('Does not hold: pro_read not granted.')).toBeTruthy();
    expect(screen.getByText(/: not granted\./)).toBeTruthy();
    await ask('ghost');
    expect(await screen.findByText(/no permission of this name is defined\./)).toBeTruthy();
  });

  test('a refusal from the server is shown at the field', async () => {
    renderExplainer(() => problem(400, 'Bad Request', [{ field: 'permission', message: 'Not a permission name' }]));
    await userEvent.type(screen.getByLabelText('Permission'), 'pro_read');
    await userEvent.click(screen.getByRole('button', { name: 'Explain' }));
    expect(await screen.findByText('Not a permission name')).toBeTruthy();
  });
});
