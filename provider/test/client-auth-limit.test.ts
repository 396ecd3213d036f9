import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestStores, type TestStores } from '@usher/test-support';
import { startProvider, type RunningProvider } from './harness.ts';
import { callbackUrl, filmsResource } from './fixtures.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('failed client authentication is limited per client and per IP', () => {
  let stores: TestStores;
  let provider: RunningProvider;

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores, {
      TRUST_PROXY: 'true',
      RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_CLIENT: '5',
      RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_IP: '8',
    });
    await provider.built.domain.resources.upsert(filmsResource, 'Films');
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  /** A confidential client that may use every client endpoint. */
  async function confidentialClient() {
    const client = (await provider.built.domain.clients.create({
      client_name: 'Guessed',
      grant_types: ['client_credentials', 'authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      redirect_uris: [callbackUrl],
      token_endpoint_auth_method: 'client_secret_basic',
    })) as { client_id: string; client_secret?: string };
    return { id: client.client_id, secret: client.client_secret! };
  }

  async function post(
    path: string,
    ip: string,
    options: { authorization?: string; form?: Record<string, string> } = {},
  ): Promise<{ status: number; headers: Headers; body: { error?: string } }> {
    const response = await fetch(new URL(path, provider.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': ip,
        ...(options.authorization ? { authorization: options.authorization } : {}),
      },
      body: new URLSearchParams(options.form ?? {}).toString(),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
  }

  const tokenRequest = (client: { id: string; secret: string }, ip: string) =>
    post('/token', ip, {
      authorization: basic(client.id, client.secret),
      form: { grant_type: 'client_credentials', resource: filmsResource },
    });

  test('a client whose secret is guessed is locked out from every IP, before its secret is checked', async () => {
    const client = await confidentialClient();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const failed = await tokenRequest({ id: client.id, secret: `wrong-${attempt}` }, '198.51.100.1');
      assert.equal(failed.status, 401, `attempt ${attempt}`);
      assert.equal(failed.body.error, 'invalid_client');
    }
    // The right secret, from another address: the client is locked, whoever asks.
    const locked = await tokenRequest(client, '198.51.100.2');
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error, 'invalid_client');
    const retryAfter = Number(locked.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
    assert.equal(locked.headers.get('cache-control'), 'no-store');
    // Another client from the first address (5 failures of its 8) is served.
    assert.equal((await tokenRequest(await confidentialClient(), '198.51.100.1')).status, 200);
  });

  test('failures count at the token, introspection, revocation, PAR and device endpoints alike', async () => {
    const client = await confidentialClient();
    const wrong = basic(client.id, 'not-the-secret');
    const attempts = [
      post('/token', '198.51.100.11', { authorization: wrong, form: { grant_type: 'client_credentials' } }),
      post('/token/introspection', '198.51.100.12', { authorization: wrong, form: { token: 'x' } }),
      post('/token/revocation', '198.51.100.13', { authorization: wrong, form: { token: 'x' } }),
      post('/request', '198.51.100.14', {
        authorization: wrong,
        form: { response_type: 'code', redirect_uri: callbackUrl, scope: 'openid' },
      }),
      post('/device/auth', '198.51.100.15', { authorization: wrong, form: { scope: 'openid' } }),
    ];
    for (const attempt of attempts) {
      const failed = await attempt;
      assert.deepEqual([failed.status, failed.body.error], [401, 'invalid_client']);
    }
    const locked = await post('/token/introspection', '198.51.100.16', {
      authorization: basic(client.id, client.secret),
      form: { token: 'x' },
    });
    assert.equal(locked.status, 429);
  });

  test('the client is counted however it names itself: Basic, client_secret_post or a client assertion', async () => {
    const client = await confidentialClient();
    const form = { grant_type: 'client_credentials', resource: filmsResource };
    const ip = (n: number) => `198.51.100.${30 + n}`;
    const failures = [
      await post('/token', ip(1), { authorization: basic(client.id, 'wrong') }),
      await post('/token', ip(2), { form: { ...form, client_id: client.id, client_secret: 'wrong' } }),
      await post('/token', ip(3), { form: { ...form, client_id: client.id, client_secret: 'wrong again' } }),
      // Percent-encoded in the header, as RFC 6749 §2.3.1 has it: still the same client.
      await post('/token', ip(4), { authorization: basic(encodeURIComponent(client.id), 'wrong') }),
      await post('/token', ip(5), {
        form: {
          ...form,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: `e30.${Buffer.from(JSON.stringify({ sub: client.id, iss: client.id })).toString('base64url')}.c2ln`,
        },
      }),
    ];
    assert.deepEqual(
      failures.map((failure) => failure.status),
      [401, 401, 401, 401, 401],
    );
    assert.equal((await tokenRequest(client, ip(6))).status, 429);
  });

  test('one IP failing across many clients is locked out for every client; other IPs are not', async () => {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      // A different (unknown) client each time: no client counter gets near its limit.
      const failed = await post('/token', '198.51.100.50', {
        authorization: basic(`no-such-client-${randomBytes(4).toString('hex')}`, 'secret'),
        form: { grant_type: 'client_credentials' },
      });
      assert.equal(failed.status, 401);
    }
    const client = await confidentialClient();
    const locked = await tokenRequest(client, '198.51.100.50');
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 15 * 60, 'the IP window is an hour');
    assert.equal((await tokenRequest(client, '198.51.100.51')).status, 200);
  });

  test('a successful authentication resets neither the IP’s budget nor the client’s', async () => {
    const client = await confidentialClient();
    const other = await confidentialClient();
    const ip = '198.51.100.60';
    const fail = (id: string) => tokenRequest({ id, secret: 'wrong' }, ip);
    for (let attempt = 0; attempt < 4; attempt += 1) assert.equal((await fail(client.id)).status, 401);
    assert.equal((await tokenRequest(client, ip)).status, 200);
    assert.equal((await fail(client.id)).status, 401, 'the fifth failure of the client');
    assert.equal((await tokenRequest(client, '198.51.100.61')).status, 429, 'the client is locked');
    // The IP has 5 failures of 8; a success of another client leaves them standing.
    assert.equal((await tokenRequest(other, ip)).status, 200);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      assert.equal((await fail(`unknown-${attempt}`)).status, 401);
    }
    assert.equal((await tokenRequest(other, ip)).status, 429, 'the IP is locked for every client');
  });
});
