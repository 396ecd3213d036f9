import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestStores, storeMode, type TestStores } from '@usher/test-support';
import { startProvider, type RunningProvider } from './harness.ts';
import { callbackUrl, createWebClient } from './fixtures.ts';

/**
 * Protocol parameters PostgreSQL cannot store (U+0000, escapes that are not UTF-8) are refused with
 * the OAuth error or the error page before oidc-provider looks anything up or saves anything: never a
 * 500, never an error-level line with a stack (issue 13, item 6).
 */
describe(`protocol parameters PostgreSQL cannot store (${storeMode} stores)`, () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let web: { client_id: string; client_secret?: string };

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores);
    web = await createWebClient(provider);
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
  const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
  const unsigned = (payload: object) =>
    [{ alg: 'RS256' }, payload].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') +
    '.c2lnbmF0dXJl';

  /** A valid authorization request of the web client, with `extra` added or replaced. */
  const authorizationUrl = (extra: Record<string, string>) =>
    `/auth?${new URLSearchParams({
      client_id: web.client_id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: callbackUrl,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...extra,
    })}`;

  async function send(path: string, init: RequestInit = {}) {
    const mark = provider.logs.lines.length;
    const response = await fetch(new URL(path, provider.url), { redirect: 'manual', ...init });
    const text = await response.text();
    return { response, text, lines: provider.logs.lines.slice(mark).map((line) => JSON.parse(line) as LogLine) };
  }

  interface LogLine {
    level: number;
    msg?: string;
    endpoint?: string;
    parameter?: string;
  }

  /** One warning naming the endpoint and the parameter; nothing at error level, no stack anywhere. */
  function assertWarned(lines: LogLine[], endpoint: string, parameter: string, what: string) {
    assert.deepEqual(
      lines.filter((line) => line.level >= 50).map((line) => line.msg),
      [],
      `${what}: nothing logged at error level`,
    );
    // oidc-provider's own error events are logged at debug level with an empty stack; none may carry one.
    assert.ok(!lines.some((line) => /"stack":"[^"]/.test(JSON.stringify(line))), `${what}: no stack logged`);
    assert.ok(
      lines.some((line) => line.level === 40 && line.endpoint === endpoint && line.parameter === parameter),
      `${what}: a warning names ${endpoint} and ${parameter}`,
    );
  }

  async function assertOAuthError(
    path: string,
    init: RequestInit,
    expected: { status: number; error: string; parameter: string },
  ) {
    const what = `${init.method ?? 'GET'} ${path}`;
    const { response, text, lines } = await send(path, init);
    assert.equal(response.status, expected.status, `${what}: ${text.slice(0, 200)}`);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/, what);
    assert.equal(response.headers.get('cache-control'), 'no-store', what);
    assert.equal((JSON.parse(text) as { error: string }).error, expected.error, what);
    assertWarned(lines, new URL(path, provider.url).pathname, expected.parameter, what);
    return response;
  }

  async function assertErrorPage(path: string, init: RequestInit, parameter: string, description: RegExp) {
    const what = `${init.method ?? 'GET'} ${path}`;
    const { response, text, lines } = await send(path, init);
    assert.equal(response.status, 400, `${what}: ${text.slice(0, 200)}`);
    assert.equal(response.headers.get('location'), null, `${what}: no redirect`);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/, what);
    assert.match(text, /Sign-in could not continue/, what);
    assert.match(text, description, what);
    assertWarned(lines, new URL(path, provider.url).pathname, parameter, what);
  }

  /** The endpoints where a client authenticates, each with a request that is otherwise well formed. */
  const clientEndpoints: [string, Record<string, string>][] = [
    ['/token', { grant_type: 'client_credentials' }],
    ['/device/auth', { scope: 'openid' }],
    ['/request', { response_type: 'code', scope: 'openid', redirect_uri: callbackUrl }],
    ['/token/introspection', { token: 'some-token' }],
    ['/token/revocation', { token: 'some-token' }],
  ];

  test('a NUL in client_id is 400 invalid_request at the token, device, PAR, introspection and revocation endpoints', async () => {
    for (const [path, params] of clientEndpoints) {
      for (const clientId of ['a\u0000b', '\u0000']) {
        await assertOAuthError(
          path,
          { method: 'POST', headers: formHeaders, body: new URLSearchParams({ ...params, client_id: clientId }) },
          { status: 400, error: 'invalid_request', parameter: 'client_id' },
        );
      }
    }
  });

  test('a NUL in the client id of Basic authentication is 401 invalid_client with a Basic challenge', async () => {
    for (const [path, params] of clientEndpoints) {
      // Escaped as RFC 6749 §2.3.1 asks, and raw.
      for (const credentials of ['a%00b:secret', 'a\u0000b:secret']) {
        const response = await assertOAuthError(
          path,
          {
            method: 'POST',
            headers: { ...formHeaders, authorization: basic(credentials) },
            body: new URLSearchParams(params),
          },
          { status: 401, error: 'invalid_client', parameter: 'client_id' },
        );
        assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm="/, path);
      }
    }
  });

  test('a NUL in client_id, state, nonce or login_hint at /auth is the error page with 400', async () => {
    for (const parameter of ['client_id', 'state', 'nonce', 'login_hint']) {
      await assertErrorPage(
        authorizationUrl({ [parameter]: 'a\u0000b' }),
        {},
        parameter,
        new RegExp(`${parameter} must not contain NUL characters`),
      );
    }
  });

  test('a NUL in state at /session/end is 400: the error page for a browser, invalid_request JSON otherwise', async () => {
    const logout = `/session/end?${new URLSearchParams({ client_id: web.client_id, state: 'a\u0000b' })}`;
    await assertErrorPage(logout, { headers: { accept: 'text/html' } }, 'state', /state must not contain NUL/);
    await assertOAuthError(
      '/session/end?state=%00',
      { headers: { accept: 'application/json' } },
      { status: 400, error: 'invalid_request', parameter: 'state' },
    );
  });

  test('a NUL in a token, a code or a device code is 400 invalid_request wherever one is presented', async () => {
    const authenticated = { ...formHeaders, authorization: basic(`${web.client_id}:${web.client_secret}`) };
    const probes: [string, Record<string, string>, string][] = [
      ['/token', { grant_type: 'refresh_token', refresh_token: 'a\u0000b' }, 'refresh_token'],
      [
        '/token',
        {
          grant_type: 'authorization_code',
          code: 'a\u0000b',
          redirect_uri: callbackUrl,
          code_verifier: 'x'.repeat(43),
        },
        'code',
      ],
      [
        '/token',
        { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'a\u0000b' },
        'device_code',
      ],
      ['/token/introspection', { token: 'a\u0000b' }, 'token'],
      ['/token/revocation', { token: 'a\u0000b' }, 'token'],
    ];
    for (const [path, params, parameter] of probes) {
      await assertOAuthError(
        path,
        { method: 'POST', headers: authenticated, body: new URLSearchParams(params) },
        { status: 400, error: 'invalid_request', parameter },
      );
    }
  });

  test('a client id inside a JWT (client_assertion sub, id_token_hint aud) that holds a NUL is no client', async () => {
    // Both are read before any signature is checked, to find the client whose keys would check it.
    const assertion = unsigned({ iss: 'a\u0000b', sub: 'a\u0000b', aud: provider.url, exp: 4102444800, jti: 'j' });
    await assertOAuthError(
      '/token',
      {
        method: 'POST',
        headers: formHeaders,
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }),
      },
      { status: 401, error: 'invalid_client', parameter: 'client_id' },
    );
    const hint = unsigned({ iss: provider.url, sub: 'someone', aud: 'a\u0000b' });
    await assertOAuthError(
      `/session/end?id_token_hint=${hint}`,
      { headers: { accept: 'application/json' } },
      { status: 400, error: 'invalid_client', parameter: 'client_id' },
    );
  });

  test('escapes that are not UTF-8 are refused; well-formed text of any script passes', async () => {
    // querystring would put U+FFFD in their place: the client would not get back the state it sent.
    await assertErrorPage(authorizationUrl({}) + '&state=%C3%28', {}, 'state', /state must be percent-encoded UTF-8/);
    await assertOAuthError(
      '/token',
      { method: 'POST', headers: formHeaders, body: 'grant_type=client_credentials&client_id=%FF' },
      { status: 400, error: 'invalid_request', parameter: 'client_id' },
    );
    // Accented letters, an emoji (a surrogate pair) and a '%' that starts no escape are all fine.
    const { response, lines } = await send(authorizationUrl({}) + '&state=%C3%A9t%C3%A9%F0%9F%98%80%zz');
    assert.equal(response.status, 303);
    assert.match(response.headers.get('location') ?? '', /^\/interaction\//);
    assert.ok(!lines.some((line) => line.level >= 40), 'nothing to warn about');
  });

  test('a form body over 56 KiB at a form endpoint is still 400 invalid_request', async () => {
    // The guard reads form bodies now (once; oidc-provider takes them from it): oidc-provider's limit stays.
    const response = await fetch(new URL('/token/introspection', provider.url), {
      method: 'POST',
      headers: formHeaders,
      body: `token=t&padding=${'x'.repeat(60 * 1024)}`,
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
    assert.equal((await fetch(new URL('/healthz', provider.url))).status, 200);
  });
});
