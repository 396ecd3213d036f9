import { User } from 'oidc-client-ts';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { hasAdminRights } from '../auth/admin-rights.ts';
import { createUserManager } from '../auth/user-manager.ts';
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

describe('the sign-in session', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    sessionStorage.clear();
  });

  test('renewals asked for at once share one refresh: a second use of a rotated refresh token would revoke the grant', async () => {
    const issuer = 'http://provider.test';
    const refreshes: URLSearchParams[] = [];
    // The provider's discovery and token endpoints, as a stand-in answering over fetch.
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url === `${issuer}/.well-known/openid-configuration`) {
        return Response.json({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token` });
      }
      if (url === `${issuer}/token`) {
        const body = new URLSearchParams(String(init?.body));
        refreshes.push(body);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const used = body.get('refresh_token');
        if (used !== 'rt-1') return Response.json({ error: 'invalid_grant' }, { status: 400 });
        return Response.json({ access_token: 'at-2', token_type: 'Bearer', expires_in: 1800, refresh_token: 'rt-2' });
      }
      return new Response(null, { status: 404 });
    });
    const manager = createUserManager(
      { issuer, clientId: 'usher-admin', adminAudience: `${issuer}/api` },
      'http://admin.test',
    );
    await manager.storeUser(
      new User({
        access_token: 'at-1',
        token_type: 'Bearer',
        refresh_token: 'rt-1',
        profile: { sub: 'admin', iss: issuer, aud: 'usher-admin', exp: 0, iat: 0 },
        expires_at: Math.floor(Date.now() / 1000) + 60,
      }),
    );
    const renewed = await Promise.all([manager.signinSilent(), manager.signinSilent()]);
    expect(renewed.map((user) => user?.access_token)).toEqual(['at-2', 'at-2']);
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]!.get('resource')).toBe(`${issuer}/api`);
    // Once settled, the next renewal is a new refresh, with the rotated token.
    await manager.signinSilent().catch(() => null);
    expect(refreshes.map((body) => body.get('refresh_token'))).toEqual(['rt-1', 'rt-2']);
  });
});
