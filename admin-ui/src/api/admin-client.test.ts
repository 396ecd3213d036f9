import { describe, expect, test, vi } from 'vitest';
import { hasAdminRights } from '../auth/admin-rights.ts';
import { createAdminClient, unwrap } from './admin-client.ts';
import { ApiError } from './api-error.ts';

const jwt = (claims: object) =>
  ['{"alg":"ES256"}', JSON.stringify(claims)].map((part) => btoa(part).replace(/=+$/, '')).join('.') + '.sig';

describe('the admin API client', () => {
  test('sends the bearer token, never cookies, and renews a refused token once', async () => {
    const seen: { auth: string | null; credentials: RequestCredentials }[] = [];
    const refused = vi.fn();
    const client = createAdminClient({
      issuer: 'http://provider.test/',
      accessToken: async () => 'old',
      renew: async () => 'new',
      onRefused: refused,
      async fetch(request) {
        seen.push({ auth: request.headers.get('authorization'), credentials: request.credentials });
        expect(request.url).toBe('http://provider.test/api/v1/roles');
        return request.headers.get('authorization') === 'Bearer new'
          ? Response.json([])
          : new Response('{}', { status: 401, headers: { 'content-type': 'application/problem+json' } });
      },
    });
    expect(await unwrap(client.GET('/roles'))).toEqual([]);
    expect(seen.map((s) => s.auth)).toEqual(['Bearer old', 'Bearer new']);
    expect(seen.every((s) => s.credentials === 'omit')).toBe(true);
    expect(refused).not.toHaveBeenCalled();
  });

  test('reports a 403 and turns problem+json into field messages', async () => {
    const refused = vi.fn();
    const client = createAdminClient({
      issuer: 'http://provider.test',
      accessToken: async () => 'token',
      onRefused: refused,
      fetch: async () =>
        Response.json(
          { type: 'about:blank', title: 'Forbidden', status: 403, errors: [{ field: 'name', message: 'Nope' }] },
          { status: 403, headers: { 'content-type': 'application/problem+json' } },
        ),
    });
    const failure = await unwrap(client.GET('/roles')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(403);
    expect((failure as ApiError).fields).toEqual({ name: 'Nope' });
    expect(refused).toHaveBeenCalledWith(403);
  });

  test('a provider that cannot be reached is a clear error, not a crash', async () => {
    const client = createAdminClient({
      issuer: 'http://provider.test',
      accessToken: async () => null,
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const failure = (await unwrap(client.GET('/keys')).catch((error: unknown) => error)) as ApiError;
    expect(failure.status).toBe(0);
    expect(failure.message).toMatch(/could not be reached/);
  });

  test('admin rights come from the permissions claim: permissions_admin or all_all', () => {
    expect(hasAdminRights(jwt({ permissions: ['pro_read', 'permissions_admin'] }))).toBe(true);
    expect(hasAdminRights(jwt({ permissions: ['all_all'] }))).toBe(true);
    expect(hasAdminRights(jwt({ permissions: ['pro_read'] }))).toBe(false);
    expect(hasAdminRights(jwt({}))).toBe(false);
    expect(hasAdminRights('not a token')).toBe(false);
  });
});
