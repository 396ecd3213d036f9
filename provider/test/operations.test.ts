import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { ConfigError } from '@usher/platform';
import { loadProviderConfig } from '../src/config.ts';
import { purgeExpiredPayloads } from '../src/oidc/adapter.ts';
import { type RunningProvider, startProvider } from './harness.ts';
import { createTestStores, type TestStores } from '@usher/test-support';
import { createUser, createWebClient, discover, filmsResource, signIn } from './fixtures.ts';

describe('operations: health, metrics, limits, secrets at rest, large tokens', () => {
  let stores: TestStores;
  let provider: RunningProvider;

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores, {
      KEY_ENCRYPTION_SECRET: 'a-test-key-encryption-secret-of-32-chars',
    });
    await provider.built.domain.resources.upsert(filmsResource, 'Films');
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  test('/healthz and /readyz answer, and /readyz names its checks', async () => {
    const health = await fetch(new URL('/healthz', provider.url));
    assert.equal(health.status, 200);
    const ready = await fetch(new URL('/readyz', provider.url));
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { checks: Record<string, boolean> };
    assert.equal(body.checks.database, true);
  });

  test('/readyz is 503 when a store does not answer', async () => {
    // The provider starts with Redis down (it must not hang on it) and says it is not ready.
    const broken = await startProvider(stores, {
      REDIS_URL: 'redis://127.0.0.1:1',
      REDIS_PREFIX: 'never:',
      KEY_ENCRYPTION_SECRET: 'a-test-key-encryption-secret-of-32-chars',
    });
    try {
      const ready = await fetch(new URL('/readyz', broken.url));
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { checks: Record<string, boolean> }).checks.redis, false);
    } finally {
      await broken.stop();
    }
  });

  test('/metrics with METRICS_TOKEN: 401 without that bearer token, the metrics with it', async () => {
    const token = 'a-metrics-token-of-at-least-32-characters';
    const guarded = await startProvider(stores, {
      METRICS_TOKEN: token,
      KEY_ENCRYPTION_SECRET: 'a-test-key-encryption-secret-of-32-chars',
    });
    try {
      const metrics = new URL('/metrics', guarded.url);
      for (const authorization of [undefined, 'Bearer not-the-token-but-long-enough-to-look-real']) {
        const refused = await fetch(metrics, authorization ? { headers: { authorization } } : {});
        assert.equal(refused.status, 401);
        assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="metrics"');
        assert.doesNotMatch(await refused.text(), /usher_/);
      }
      const read = await fetch(metrics, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(read.status, 200);
      assert.match(await read.text(), /usher_http_request_duration_seconds/);
    } finally {
      await guarded.stop();
    }
  });

  test('/metrics counts sign-ins by result and tokens by grant type', async () => {
    const client = await createWebClient(provider);
    const config = await discover(provider, client.client_id, client.client_secret);
    const user = await createUser(provider);
    await signIn(provider, config, user);
    const text = await (await fetch(new URL('/metrics', provider.url))).text();
    assert.match(text, /usher_sign_ins_total\{method="password",result="success",service="provider"\} [1-9]/);
    assert.match(text, /usher_tokens_issued_total\{grant_type="authorization_code",service="provider"\} [1-9]/);
    assert.match(text, /usher_http_request_duration_seconds_bucket/);
  });

  test('/metrics counts errors by where they happened and their code', async () => {
    const client = await createWebClient(provider);
    const errorsOf = async () => {
      const text = await (await fetch(new URL('/metrics', provider.url))).text();
      const line = text
        .split('\n')
        .find(
          (entry) =>
            /^usher_errors_total\{/.test(entry) &&
            entry.includes('kind="grant.error"') &&
            entry.includes('error="invalid_grant"'),
        );
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await errorsOf();
    const response = await fetch(new URL('/token', provider.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'no-such-token' }).toString(),
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
    assert.equal(await errorsOf(), before + 1);
  });

  test('a key poll interval over 5 s is refused, naming the variable', () => {
    assert.throws(
      () => loadProviderConfig({ KEY_POLL_INTERVAL_MS: '60000' }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /KEY_POLL_INTERVAL_MS: must be at most 5000/);
        return true;
      },
    );
    assert.equal(loadProviderConfig({ KEY_POLL_INTERVAL_MS: '5000' }).KEY_POLL_INTERVAL_MS, 5000);
  });

  test('private signing keys and client secrets are encrypted at rest when a secret is configured', async () => {
    const client = await createWebClient(provider);
    const row = await provider.db.knex('clients').where({ client_id: client.client_id }).first();
    assert.match(row.secret, /^enc:v1:/);
    assert.ok(!row.secret.includes(client.client_secret!));
    const keys = await provider.db.knex('signing_keys').select('private_jwk');
    assert.ok(keys.length >= 4);
    for (const key of keys) assert.match(key.private_jwk, /^enc:v1:/);
    // And they still work: the client authenticates with its secret.
    const config = await discover(provider, client.client_id, client.client_secret);
    const user = await createUser(provider);
    const { tokens } = await signIn(provider, config, user);
    assert.ok(tokens.id_token);
  });

  test('refresh grants over the per-IP limit get 429 with Retry-After', async (t) => {
    const limited3 = await startProvider(stores, {
      RATE_LIMIT_REFRESH_PER_MINUTE: '3',
      KEY_ENCRYPTION_SECRET: 'a-test-key-encryption-secret-of-32-chars',
    });
    t.after(() => limited3.stop());
    const client = await createWebClient(limited3);
    const config = await discover(limited3, client.client_id, client.client_secret);
    const user = await createUser(limited3);
    const { tokens } = await signIn(limited3, config, user);
    let refreshToken = tokens.refresh_token!;
    let limited: Response | null = null;
    for (let i = 0; i < 5 && !limited; i += 1) {
      const response = await fetch(new URL('/token', limited3.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        },
        // After the first, the names and values are percent-encoded, as a form may be: still refresh grants.
        body:
          i === 0
            ? new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString()
            : `grant%5Ftype=refresh%5Ftoken&refresh_token=${encodeURIComponent(refreshToken)}`,
      });
      if (response.status === 429) limited = response;
      else {
        assert.equal(response.status, 200);
        refreshToken = ((await response.json()) as { refresh_token: string }).refresh_token;
      }
    }
    assert.ok(limited, 'the fourth refresh within a minute is limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(((await limited.json()) as { error: string }).error, 'slow_down');
  });

  test('behind a trusted proxy the refresh limit counts per forwarded address, read from the right', async (t) => {
    const proxied = await startProvider(stores, {
      RATE_LIMIT_REFRESH_PER_MINUTE: '1',
      TRUST_PROXY: 'true',
      KEY_ENCRYPTION_SECRET: 'a-test-key-encryption-secret-of-32-chars',
    });
    t.after(() => proxied.stop());
    const client = await createWebClient(proxied);
    const refresh = async (forwardedFor: string) => {
      const response = await fetch(new URL('/token', proxied.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': forwardedFor,
          authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'no-such-token' }).toString(),
      });
      await response.arrayBuffer();
      return response.status;
    };
    assert.equal(await refresh('203.0.113.1'), 400, 'within the budget: the grant itself is refused');
    assert.equal(await refresh('203.0.113.1'), 429);
    assert.equal(await refresh('203.0.113.2'), 400, 'another caller has its own budget');
    // A malformed entry cannot open a fresh budget: the walk stops at the address the proxy vouched for.
    assert.equal(await refresh('not-an-address, 203.0.113.2'), 429);
  });

  test('a token request whose body passes 56 KiB is a 400 invalid_request, never a 500', async () => {
    const response = await fetch(new URL('/token', provider.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&padding=${'x'.repeat(60 * 1024)}`,
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
    const healthy = await fetch(new URL('/healthz', provider.url));
    assert.equal(healthy.status, 200);
  });

  test('a warning is logged when an access token passes 4 KB', async () => {
    const user = await createUser(provider);
    for (let i = 0; i < 60; i += 1) {
      const name = `films:catalogue:regional-licence:${String(i).padStart(3, '0')}:${'x'.repeat(30)}`;
      await provider.built.domain.access.createPermission({ name });
      await provider.built.domain.access.grantPermissionToUser(user.id, name);
    }
    const client = await createWebClient(provider);
    const config = await discover(provider, client.client_id, client.client_secret);
    const { tokens } = await signIn(provider, config, user, { resource: filmsResource });
    assert.ok(tokens.access_token.length > 4096);
    assert.match(provider.logs.text(), /access token exceeds 4 KB/);
    const warning = JSON.parse(provider.logs.lines.find((line) => line.includes('exceeds 4 KB'))!) as Record<
      string,
      unknown
    >;
    assert.equal(warning.bytes, tokens.access_token.length);
    assert.equal(warning.sub, user.id);
    assert.equal(warning.aud, filmsResource);
    const small = await createUser(provider);
    const before = provider.logs.lines.filter((line) => line.includes('exceeds 4 KB')).length;
    await signIn(provider, config, small, { resource: filmsResource });
    assert.equal(provider.logs.lines.filter((line) => line.includes('exceeds 4 KB')).length, before);
  });

  test('expired protocol state is purged', async () => {
    await provider.db.knex('oidc_payloads').insert([
      { model: 'Session', id: 'old-one', payload: '{}', expires_at: new Date(Date.now() - 2 * 3600_000) },
      { model: 'Session', id: 'fresh-one', payload: '{}', expires_at: new Date(Date.now() + 3600_000) },
    ]);
    assert.ok((await purgeExpiredPayloads(provider.db.knex)) >= 1);
    const left = await provider.db.knex('oidc_payloads').whereIn('id', ['old-one', 'fresh-one']).pluck('id');
    assert.deepEqual(left, ['fresh-one']);
  });

  test('a blocked user cannot sign in, and existing sessions stop resolving to the account', async () => {
    const client = await createWebClient(provider);
    const config = await discover(provider, client.client_id, client.client_secret);
    const user = await createUser(provider);
    const { tokens } = await signIn(provider, config, user);
    await provider.built.domain.users.setBlocked(user.id, true);
    await assert.rejects(signIn(provider, config, user), /sign-in did not reach the callback: 403/);
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: oidc.ResponseBodyError) => {
      return error.error === 'invalid_grant';
    });
  });

  test('every line logged for a request carries its request id once, protocol requests too', async () => {
    const client = await createWebClient(provider);
    const response = await fetch(new URL('/token', provider.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-request-id': 'protocol-lines-1',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'no-such-token' }).toString(),
    });
    assert.equal(response.status, 400);
    const ours = () => provider.logs.lines.filter((line) => line.includes('protocol-lines-1'));
    for (let waited = 0; !ours().some((line) => line.includes('"msg":"request"')) && waited < 2000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // oidc-provider's own error event is logged inside the request, not by a route of ours.
    const messages = ours().map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.ok(messages.includes('grant.error'), `the protocol's line carries the id: ${messages.join(', ')}`);
    assert.ok(messages.includes('request'));
    for (const line of ours()) assert.equal(line.split('"requestId"').length, 2, `one requestId key: ${line}`);
  });
});
