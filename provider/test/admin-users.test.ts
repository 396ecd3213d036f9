import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { createTestStores, startProvider, type RunningProvider, type TestStores } from './harness.ts';
import { createUser, filmsResource } from './fixtures.ts';
import { call, machineToken, userToken } from './admin-fixtures.ts';

describe('admin API: users, self-service, clients, keys, audit', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let admin: string;

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores);
    await provider.built.domain.resources.upsert(filmsResource, 'Films');
    admin = await machineToken(provider, ['permissions_admin']);
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  const eventsOf = (subject: string) =>
    provider.db.knex('security_events').where({ subject }).pluck('event_type') as Promise<string[]>;

  test('create, list with search and filters, get, update, 400 and 409', async () => {
    const created = await call(provider, 'POST', '/api/v1/users', {
      token: admin,
      body: { email: 'Zoe@Example.com', password: 'a long enough secret', first_name: 'Zoe' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.first_name, 'Zoe');
    assert.equal(created.body.last_name, null);
    const duplicate = await call(provider, 'POST', '/api/v1/users', {
      token: admin,
      body: { email: 'zoe@example.com', password: 'a long enough secret' },
    });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.errors[0].field, 'email');
    const weak = await call(provider, 'POST', '/api/v1/users', {
      token: admin,
      body: { email: 'x@example.com', password: 'password' },
    });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.errors[0].field, 'password');
    assert.equal(
      (await call(provider, 'POST', '/api/v1/users', { token: admin, body: { email: 'y@example.com' } })).status,
      400,
    );
    const found = await call(provider, 'GET', '/api/v1/users?query=zoe&page[number]=0&page[size]=10', { token: admin });
    assert.equal(found.status, 200);
    assert.equal(found.body.total, 1);
    assert.equal(found.body.items[0].uuid, created.body.uuid);
    const byRole = await call(provider, 'GET', '/api/v1/users?role=user&blocked=false&sort=-created', { token: admin });
    assert.ok(byRole.body.total >= 1);
    const badPage = await call(provider, 'GET', '/api/v1/users?page[size]=0', { token: admin });
    assert.equal(badPage.status, 400);
    assert.equal(badPage.body.errors[0].field, 'page[size]');
    const other = await createUser(provider, { email: 'taken@example.com' });
    const taken = await call(provider, 'PATCH', `/api/v1/users/${created.body.uuid}`, {
      token: admin,
      body: { email: other.email },
    });
    assert.equal(taken.status, 409);
    const patched = await call(provider, 'PATCH', `/api/v1/users/${created.body.uuid}`, {
      token: admin,
      body: { last_name: 'Smith', first_name: '' },
    });
    assert.deepEqual([patched.body.first_name, patched.body.last_name], ['Zoe', 'Smith']);
    const audit = await provider.db
      .knex('audit_events')
      .where({ action: 'user.updated', target: created.body.uuid })
      .first();
    assert.equal(audit.data.before.last_name, null);
    assert.equal(audit.data.after.last_name, 'Smith');
  });

  test('self: a user reads and changes their own account, not others’', async () => {
    const me = await createUser(provider);
    const someone = await createUser(provider);
    const { token } = await userToken(provider, me);
    const own = await call(provider, 'GET', `/api/v1/users/${me.id}`, { token });
    assert.equal(own.status, 200);
    assert.equal((await call(provider, 'GET', `/api/v1/users/${someone.id}`, { token })).status, 403);
    assert.equal((await call(provider, 'DELETE', `/api/v1/users/${me.id}`, { token })).status, 403);
    const profile = await call(provider, 'GET', '/api/v1/users/me', { token });
    assert.equal(profile.status, 200);
    assert.deepEqual(profile.body.roles, ['user']);
    assert.ok(profile.body.permissions.includes('can_view_file'));
    const renamed = await call(provider, 'PATCH', '/api/v1/users/me', { token, body: { first_name: 'Me' } });
    assert.equal(renamed.body.first_name, 'Me');
    const logins = await call(provider, 'GET', '/api/v1/users/me/logins', { token });
    assert.equal(logins.body.logins[0].result, 'success');
    assert.deepEqual(Object.keys(logins.body.logins[0]).sort(), [
      'ip_address',
      'method',
      'result',
      'time',
      'user_agent',
      'uuid',
    ]);
    assert.deepEqual((await call(provider, 'GET', `/api/v1/users/${me.id}/logins`, { token })).body, logins.body);
    const identities = await call(provider, 'GET', '/api/v1/users/me/identities', { token });
    assert.deepEqual(identities.body, { identities: [], has_password: true });
    const unknownIdentity = await call(
      provider,
      'DELETE',
      '/api/v1/users/me/identities/00000000-0000-4000-8000-000000000000',
      {
        token,
      },
    );
    assert.equal(unknownIdentity.status, 404);
    assert.equal((await call(provider, 'GET', '/api/v1/users/me', { token: admin })).status, 403);
  });

  test('password change: wrong old password 400; success ends the other sessions only', async () => {
    const me = await createUser(provider);
    const first = await userToken(provider, me);
    const second = await userToken(provider, me);
    const sessions = await call(provider, 'GET', '/api/v1/users/me/sessions', { token: second.token });
    assert.equal(sessions.body.sessions.length, 2);
    assert.equal(sessions.body.sessions.filter((s: { current: boolean }) => s.current).length, 1);
    const wrong = await call(provider, 'POST', '/api/v1/users/me/password', {
      token: second.token,
      body: { old_password: 'not it at all', new_password: 'another long secret' },
    });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.errors[0].field, 'old_password');
    const changed = await call(provider, 'POST', `/api/v1/users/${me.id}/password`, {
      token: second.token,
      body: { old_password: me.password, new_password: 'another long secret' },
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.uuid, me.id);
    const left = (
      await provider.built.domain
        .knex('oidc_payloads')
        .where({ model: 'Session' })
        .whereRaw(`payload->>'accountId' = ?`, [me.id])
    ).length;
    assert.equal(left, 1);
    await assert.rejects(oidc.refreshTokenGrant(first.config, first.tokens.refresh_token ?? 'none'));
    const types = await eventsOf(me.id);
    assert.ok(types.some((t) => t.endsWith('credential-change')));
    assert.ok(types.some((t) => t.endsWith('session-revoked')));
  });

  test('admin: sessions list and revoke, set password, block, unblock, delete', async () => {
    const target = await createUser(provider);
    const signedIn = await userToken(provider, target);
    const listed = await call(provider, 'GET', `/api/v1/users/${target.id}/sessions`, { token: admin });
    assert.equal(listed.body.sessions.length, 1);
    const sessionId = listed.body.sessions[0].id;
    assert.equal(
      (await call(provider, 'DELETE', `/api/v1/users/${target.id}/sessions/nope`, { token: admin })).status,
      404,
    );
    assert.equal(
      (await call(provider, 'DELETE', `/api/v1/users/${target.id}/sessions/${sessionId}`, { token: admin })).status,
      204,
    );
    assert.equal((await call(provider, 'GET', '/api/v1/users/me', { token: signedIn.token })).status, 401);
    await userToken(provider, target);
    assert.equal((await call(provider, 'DELETE', `/api/v1/users/${target.id}/sessions`, { token: admin })).status, 204);
    assert.deepEqual((await call(provider, 'GET', `/api/v1/users/${target.id}/sessions`, { token: admin })).body, {
      sessions: [],
    });
    const weak = await call(provider, 'PUT', `/api/v1/users/${target.id}/password`, {
      token: admin,
      body: { new_password: 'short' },
    });
    assert.equal(weak.status, 400);
    const set = await call(provider, 'PUT', `/api/v1/users/${target.id}/password`, {
      token: admin,
      body: { new_password: 'set by the admin 42' },
    });
    assert.equal(set.status, 200);
    target.password = 'set by the admin 42';
    const blocked = await call(provider, 'POST', `/api/v1/users/${target.id}/block`, { token: admin });
    assert.equal(blocked.body.blocked, true);
    assert.ok((await eventsOf(target.id)).some((t) => t.endsWith('account-disabled')));
    await assert.rejects(userToken(provider, target), /did not reach the callback/);
    const unblocked = await call(provider, 'POST', `/api/v1/users/${target.id}/unblock`, { token: admin });
    assert.equal(unblocked.body.blocked, false);
    await userToken(provider, target);
    assert.equal((await call(provider, 'DELETE', `/api/v1/users/${target.id}`, { token: admin })).status, 204);
    assert.equal((await call(provider, 'GET', `/api/v1/users/${target.id}`, { token: admin })).status, 404);
    assert.ok((await eventsOf(target.id)).some((t) => t.endsWith('account-purged')));
  });

  test('an admin cannot block or delete their own account (409)', async () => {
    const root = await createUser(provider, { roles: ['admin'] });
    const { token } = await userToken(provider, root);
    assert.equal((await call(provider, 'POST', `/api/v1/users/${root.id}/block`, { token })).status, 409);
    assert.equal((await call(provider, 'DELETE', `/api/v1/users/${root.id}`, { token })).status, 409);
  });

  test('explanation and claims preview', async () => {
    const person = await createUser(provider, { roles: ['subscriber', 'admin'] });
    const explained = await call(
      provider,
      'GET',
      `/api/v1/users/${person.id}/permission_explanation?permission=pro_read`,
      {
        token: admin,
      },
    );
    assert.equal(explained.status, 200);
    assert.equal(explained.body.valid, true);
    assert.deepEqual(explained.body.names[0].granted_by, [
      { kind: 'role', role: 'admin' },
      { kind: 'role', role: 'subscriber' },
    ]);
    const query = encodeURIComponent(JSON.stringify({ all: ['pro_read', 'can_delete_cdnserver'] }));
    const partly = await call(
      provider,
      'GET',
      `/api/v1/users/${person.id}/permission_explanation?permissions=${query}`,
      {
        token: admin,
      },
    );
    assert.equal(partly.body.valid, false);
    assert.equal(partly.body.names.find((n: { name: string }) => n.name === 'can_delete_cdnserver').holds, false);
    const root = await createUser(provider, { roles: ['superuser'] });
    const viaRoot = await call(
      provider,
      'GET',
      `/api/v1/users/${root.id}/permission_explanation?permissions=${query}`,
      {
        token: admin,
      },
    );
    assert.equal(viaRoot.body.valid, true);
    assert.deepEqual(viaRoot.body.superuser, [{ kind: 'role', role: 'superuser' }]);
    assert.ok(viaRoot.body.names.every((n: { via_superuser: boolean }) => n.via_superuser));
    assert.equal(
      (await call(provider, 'GET', `/api/v1/users/${root.id}/permission_explanation`, { token: admin })).status,
      400,
    );
    const preview = await call(provider, 'GET', `/api/v1/users/${person.id}/token_claims_preview`, { token: admin });
    assert.equal(preview.status, 200);
    const audiences = preview.body.audiences.map((a: { audience: string }) => a.audience);
    assert.deepEqual(audiences, [provider.config.adminAudience, filmsResource]);
    assert.ok(preview.body.audiences[0].permissions.includes('permissions_admin'));
    assert.ok(preview.body.audiences[0].approximate_bytes > 300);
  });

  test('clients: create (secret once), get, update, 422, rotate, grants, delete', async () => {
    const created = await call(provider, 'POST', '/api/v1/clients', {
      token: admin,
      body: {
        client_name: 'Importer',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        permissions: ['pro_read'],
      },
    });
    assert.equal(created.status, 201);
    assert.ok(created.body.client_secret);
    assert.deepEqual(created.body.permissions, ['pro_read']);
    const id = created.body.client_id;
    const got = await call(provider, 'GET', `/api/v1/clients/${id}`, { token: admin });
    assert.equal(got.body.client_secret, undefined);
    const listed = await call(provider, 'GET', '/api/v1/clients', { token: admin });
    assert.ok(listed.body.every((c: { client_secret?: string }) => c.client_secret === undefined));
    const refused = await call(provider, 'PATCH', `/api/v1/clients/${id}`, {
      token: admin,
      body: { grant_types: ['authorization_code'], redirect_uris: ['not a url'] },
    });
    assert.equal(refused.status, 422);
    const renamed = await call(provider, 'PATCH', `/api/v1/clients/${id}`, {
      token: admin,
      body: { client_name: 'Importer 2' },
    });
    assert.equal(renamed.body.client_name, 'Importer 2');
    const rotated = await call(provider, 'POST', `/api/v1/clients/${id}/secret`, { token: admin });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.client_secret, created.body.client_secret);
    const granted = await call(provider, 'POST', `/api/v1/clients/${id}/permissions`, {
      token: admin,
      body: { name: 'can_view_file' },
    });
    assert.deepEqual(
      granted.body.map((p: { name: string }) => p.name),
      ['can_view_file', 'pro_read'],
    );
    const revoked = await call(provider, 'DELETE', `/api/v1/clients/${id}/permissions/pro_read`, { token: admin });
    assert.deepEqual(
      revoked.body.map((p: { name: string }) => p.name),
      ['can_view_file'],
    );
    assert.equal((await call(provider, 'GET', `/api/v1/clients/${id}/permissions`, { token: admin })).body.length, 1);
    const duplicate = await call(provider, 'POST', '/api/v1/clients', {
      token: admin,
      body: { client_id: id, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
    });
    assert.equal(duplicate.status, 409);
    const publicClient = await call(provider, 'POST', '/api/v1/clients', {
      token: admin,
      body: { redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' },
    });
    assert.equal(publicClient.body.client_secret, undefined);
    assert.equal(
      (await call(provider, 'POST', `/api/v1/clients/${publicClient.body.client_id}/secret`, { token: admin })).status,
      409,
    );
    assert.equal((await call(provider, 'DELETE', `/api/v1/clients/${id}`, { token: admin })).status, 204);
    assert.equal((await call(provider, 'GET', `/api/v1/clients/${id}`, { token: admin })).status, 404);
  });

  test('keys: list and rotate; audit: query by type, actor, target and time', async () => {
    const keys = await call(provider, 'GET', '/api/v1/keys', { token: admin });
    assert.ok(keys.body.every((k: { public_jwk: { d?: string } }) => k.public_jwk.d === undefined));
    const active = keys.body
      .filter((k: { status: string }) => k.status === 'active')
      .map((k: { kid: string }) => k.kid);
    const rotated = await call(provider, 'POST', '/api/v1/keys/rotate', { token: admin });
    assert.equal(rotated.status, 200);
    assert.deepEqual([...rotated.body.retired].sort(), [...active].sort());
    // The admin's token was signed by a key now retired, still published: it keeps working.
    const audit = await call(provider, 'GET', '/api/v1/audit_events?type=keys.rotated', { token: admin });
    assert.equal(audit.status, 200);
    assert.equal(audit.body.total, 1);
    assert.match(audit.body.items[0].actor, /^client:/);
    const kind = await call(provider, 'GET', '/api/v1/audit_events?type=user.*&page[size]=2', { token: admin });
    assert.ok(kind.body.total > 2 && kind.body.items.length === 2);
    assert.ok(kind.body.items.every((e: { type: string }) => e.type.startsWith('user.')));
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    assert.equal((await call(provider, 'GET', `/api/v1/audit_events?since=${future}`, { token: admin })).body.total, 0);
    const actor = encodeURIComponent(audit.body.items[0].actor);
    assert.ok((await call(provider, 'GET', `/api/v1/audit_events?actor=${actor}`, { token: admin })).body.total > 1);
    assert.equal((await call(provider, 'GET', '/api/v1/audit_events?since=yesterday', { token: admin })).status, 400);
  });
});
