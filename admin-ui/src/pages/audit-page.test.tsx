import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import type { AuditEvent } from '../api/types.ts';
import { AsPage, json, problem, standInApi, type Recorded } from '../test-support/stand-in-api.tsx';
import { AuditPage } from './audit-page.tsx';

const event: AuditEvent = {
  uuid: '00000000-0000-4000-8000-000000000001',
  time: '2026-11-23T10:30:00Z',
  actor: 'cli',
  type: 'role.created',
  target_type: 'role',
  target: 'critic',
  data: null,
};

/** The provider's audit list: refuses a `since` that is not an instant, as its query check does. */
function listEvents(request: Recorded) {
  const since = new URLSearchParams(request.search).get('since');
  if (since && Number.isNaN(Date.parse(since))) {
    return problem(400, 'Bad Request', [{ field: 'since', message: 'Invalid ISO datetime' }]);
  }
  return json(200, { items: [event], total: 1 });
}

const lastQuery = (api: { requests: Recorded[] }) => new URLSearchParams(api.requests.at(-1)!.search);
// datetime-local fields take a whole value at once, as a browser's date picker gives it.
const pick = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('the audit page: time filters', () => {
  test('refuses an Until that is not after Since, next to the field, without asking the API', async () => {
    const api = standInApi({ 'GET /audit_events': listEvents });
    render(
      <AsPage client={api.client} path="/audit">
        <AuditPage />
      </AsPage>,
    );
    await screen.findByRole('table', { name: 'Audit events' });
    pick('Since', '2026-11-23T10:00');
    pick('Until', '2026-11-23T09:00');
    await userEvent.click(screen.getByRole('button', { name: 'Filter' }));
    const until = screen.getByLabelText('Until');
    const message = screen.getByText('Until must be after Since.');
    expect(until.getAttribute('aria-invalid')).toBe('true');
    expect(until.getAttribute('aria-describedby')).toContain(message.id);
    expect(document.activeElement).toBe(until);
    pick('Until', '2026-11-23T10:00');
    await userEvent.click(screen.getByRole('button', { name: 'Filter' }));
    expect(screen.getByText('Until must be after Since.')).toBeTruthy();
    expect(api.requests).toHaveLength(1);
  });

  test('a time the API refuses (a hand-edited URL) is shown at its field', async () => {
    const api = standInApi({ 'GET /audit_events': listEvents });
    render(
      <AsPage client={api.client} path="/audit?since=yesterday">
        <AuditPage />
      </AsPage>,
    );
    const message = await screen.findByText('Invalid ISO datetime');
    const since = screen.getByLabelText('Since');
    expect(since.getAttribute('aria-describedby')).toContain(message.id);
    expect(since.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByRole('alert').textContent).toMatch(/filters above were refused/);
    expect(lastQuery(api).get('since')).toBe('yesterday');
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
  });

  test('filters by time: instants in the URL and to the API; Clear takes them away', async () => {
    const api = standInApi({ 'GET /audit_events': listEvents });
    render(
      <AsPage client={api.client} path="/audit">
        <AuditPage />
      </AsPage>,
    );
    await screen.findByRole('table', { name: 'Audit events' });
    expect(lastQuery(api).has('since')).toBe(false);
    await userEvent.type(screen.getByLabelText('Action'), 'role.*');
    pick('Since', '2026-11-23T10:00');
    pick('Until', '2026-11-23T11:30');
    await userEvent.click(screen.getByRole('button', { name: 'Filter' }));
    await vi.waitFor(() => expect(api.requests).toHaveLength(2));
    const query = lastQuery(api);
    expect(query.get('since')).toBe(new Date('2026-11-23T10:00').toISOString());
    expect(query.get('until')).toBe(new Date('2026-11-23T11:30').toISOString());
    expect(query.get('type')).toBe('role.*');
    expect(query.get('page[number]')).toBe('0');
    await screen.findByText('role.created');

    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await vi.waitFor(() => expect(api.requests).toHaveLength(3));
    expect([...lastQuery(api).keys()].sort()).toEqual(['page[number]', 'page[size]']);
    expect((screen.getByLabelText('Since') as HTMLInputElement).value).toBe('');
  });

  test('a URL with times fills the fields in local time', async () => {
    const since = new Date('2026-11-20T08:15').toISOString();
    const api = standInApi({ 'GET /audit_events': listEvents });
    render(
      <AsPage client={api.client} path={`/audit?since=${encodeURIComponent(since)}`}>
        <AuditPage />
      </AsPage>,
    );
    await screen.findByRole('table', { name: 'Audit events' });
    expect((screen.getByLabelText('Since') as HTMLInputElement).value).toBe('2026-11-20T08:15');
    expect(lastQuery(api).get('since')).toBe(since);
  });
});
