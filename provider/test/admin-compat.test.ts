import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { importJWK, SignJWT, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { type RunningProvider, startProvider } from './harness.ts';
import { createTestStores, type TestStores } from '@usher/test-support';
import { createUser, createWebClient, discover, signIn } from './fixtures.ts';
import { call, machineToken, userToken } from './admin-fixtures.ts';

describe('compatibility endpoints (CONTRACTS.md 1.3)', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let admin: string;
  let machine: string;
  let alice: { id: string; email: string; password: string };
  let bob: { id: string; email: string; password: string };
  let aliceToken: string;

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores);
    admin = await machineToken(provider, ['permissions_admin']);
    machine = await machineToken(provider, []);
    alice = await createUser(provider, { roles: ['subscriber'] });
    bob = await createUser(provider);
    aliceToken = (await userToken(provider, alice)).token;
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  /** A token signed with the provider's own active key, with the claims a test needs. */
  async function signed(claims: Record<string, unknown>, typ = 'at+jwt') {
    const key = provider.built.holder.keys.find(
      (k) => k.status === 'active' && k.alg === provider.config.ACCESS_TOKEN_ALG,
    )!;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
      .sign(await importJWK(key.privateJwk as JWK, key.alg));
  }

  test('token validation answers the fixed bodies', async () => {
    const valid = await call(provider, 'GET', '/api/v1/auth_token/validation', { token: aliceToken });
    assert.deepEqual([valid.status, valid.body], [200, { msg: 'Token is valid' }]);
    const missing = await call(provider, 'GET', '/api/v1/auth_token/validation');
    assert.deepEqual([missing.status, missing.body], [401, { msg: 'Missing Authorization Header' }]);
    const garbage = await call(provider, 'GET', '/api/v1/auth_token/validation', { token: 'abc.def' });
    assert.deepEqual([garbage.status, garbage.body], [422, { msg: 'Not enough segments' }]);
    const forged = await call(provider, 'GET', '/api/v1/auth_token/validation', {
      token: `${aliceToken.slice(0, -4)}AAAA`,
    });
    assert.deepEqual([forged.status, forged.body], [422, { msg: 'Signature verification failed' }]);
    const now = Math.floor(Date.now() / 1000);
    const expired = await signed({ iss: provider.url, sub: alice.id, aud: 'x', iat: now - 7200, exp: now - 3600 });
    const late = await call(provider, 'GET', '/api/v1/auth_token/validation', { token: expired });
    assert.deepEqual([late.status, late.body], [401, { msg: 'Token has expired' }]);
    const idToken = await signed({ iss: provider.url, sub: alice.id, aud: 'x', iat: now, exp: now + 60 }, 'JWT');
    assert.equal((await call(provider, 'GET', '/api/v1/auth_token/validation', { token: idToken })).status, 422);
  });

  test('a revoked token is refused with "Token has been revoked"', async () => {
    const carol = await createUser(provider);
    const { token } = await userToken(provider, carol);
    assert.equal((await call(provider, 'GET', '/api/v1/auth_token/validation', { token })).status, 200);
    assert.equal((await call(provider, 'POST', `/api/v1/users/${carol.id}/block`, { token: admin })).status, 200);
    const refused = await call(provider, 'GET', '/api/v1/auth_token/validation', { token });
    assert.deepEqual([refused.status, refused.body], [401, { msg: 'Token has been revoked' }]);
  });

  test('an opaque access token (no resource named) is valid until revoked at /token/revocation', async () => {
    const dave = await createUser(provider);
    const client = await createWebClient(provider);
    const config = await discover(provider, client.client_id, client.client_secret);
    const { tokens } = await signIn(provider, config, dave);
    const opaque = tokens.access_token;
    assert.equal(opaque.split('.').length, 1, 'without a resource the access token is opaque, not a JWT');

    const valid = await call(provider, 'GET', '/api/v1/auth_token/validation', { token: opaque });
    assert.deepEqual([valid.status, valid.body], [200, { msg: 'Token is valid' }]);

    await oidc.tokenRevocation(config, opaque, { token_type_hint: 'access_token' });
    const revoked = await call(provider, 'GET', '/api/v1/auth_token/validation', { token: opaque });
    assert.deepEqual([revoked.status, revoked.body], [401, { msg: 'Token has been revoked' }]);
    assert.equal(revoked.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    const events = provider.built.domain.knex('security_events').where({ subject: dave.id });
    assert.equal((await events.clone().whereNotNull('token_jti')).length, 1, 'the revocation is in the feed');
    assert.equal((await events.clone().where({ token_jti: opaque })).length, 0, 'named by digest, not by value');

    // A value that was never issued is not "revoked": it stays a malformed token.
    const unknown = await call(provider, 'GET', '/api/v1/auth_token/validation', { token: 'x'.repeat(43) });
    assert.equal(unknown.status, 422);
  });

  test('combined permissions: self, admin and client credentials may read; others 403', async () => {
    const path = `/api/v1/users/${alice.id}/combined_permissions`;
    const own = await call(provider, 'GET', path, { token: aliceToken });
    assert.equal(own.status, 200);
    const names = (own.body as { name: string; uuid: string; description: string | null }[]).map((p) => p.name);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes('pro_read') && names.includes('can_view_file'));
    assert.ok((own.body as { uuid: string }[]).every((p) => /^[0-9a-f-]{36}$/.test(p.uuid)));
    assert.equal((await call(provider, 'GET', path, { token: admin })).status, 200);
    assert.equal((await call(provider, 'GET', path, { token: machine })).status, 200);
    const other = await call(provider, 'GET', `/api/v1/users/${bob.id}/combined_permissions`, { token: aliceToken });
    assert.equal(other.status, 403);
    assert.equal((await call(provider, 'GET', path)).status, 401);
    const malformed = await call(provider, 'GET', '/api/v1/users/nope/combined_permissions', { token: admin });
    assert.equal(malformed.status, 400);
    assert.equal(typeof malformed.body.msg, 'string');
    const unknown = '00000000-0000-4000-8000-000000000000';
    assert.equal(
      (await call(provider, 'GET', `/api/v1/users/${unknown}/combined_permissions`, { token: admin })).status,
      404,
    );
  });

  test('the validation query: any, all, nesting, all_all and bad queries', async () => {
    const ask = (query: unknown, token = aliceToken, user = alice.id) =>
      call(
        provider,
        'GET',
        `/api/v1/users/${user}/combined_permissions/validation?permissions=${encodeURIComponent(
          typeof query === 'string' ? query : JSON.stringify(query),
        )}`,
        { token },
      );
    const cases: [unknown, boolean][] = [
      [{ any: ['pro_read', 'nope'] }, true],
      [{ all: ['pro_read', 'nope'] }, false],
      [{ any: [] }, false],
      [{ all: [] }, true],
      [{ any: ['nope', { all: ['pro_read', 'can_view_file'] }] }, true],
    ];
    for (const [query, valid] of cases) {
      const answer = await ask(query);
      assert.deepEqual([answer.status, answer.body], [200, { valid }], JSON.stringify(query));
    }
    for (const bad of ['', 'not json', '"pro_read"', '{"some":[]}', '{"any":"x"}']) {
      const answer = await ask(bad);
      assert.equal(answer.status, 400, bad);
      assert.equal(typeof answer.body.msg, 'string');
    }
    const noParam = await call(provider, 'GET', `/api/v1/users/${alice.id}/combined_permissions/validation`, {
      token: aliceToken,
    });
    assert.equal(noParam.status, 400);
    const root = await createUser(provider, { roles: ['superuser'] });
    assert.deepEqual((await ask({ all: ['anything_at_all'] }, admin, root.id)).body, { valid: true });
    assert.equal((await ask({ any: ['pro_read'] }, aliceToken, bob.id)).status, 403);
  });

  test('the revocation feed refuses a receiver id with a NUL character with 401, never a 500', async () => {
    for (const credentials of ['a%00b:secret', 'a\u0000b:secret']) {
      const answer = await fetch(`${provider.url}/secevents/poll`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: '{}',
      });
      assert.equal(answer.status, 401, JSON.stringify(credentials));
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Basic /);
    }
  });
});
