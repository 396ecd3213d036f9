import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { type RunningProvider, startProvider } from './harness.ts';
import { createTestStores, type TestStores } from '@usher/test-support';
import { createUser, filmsResource } from './fixtures.ts';
import { call, expectProblems, machineToken, userToken, type BadInputCase } from './admin-fixtures.ts';

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

  const validation = (token: string) =>
    call(provider, 'GET', '/api/v1/auth_token/validation', { token }).then((answer) => [answer.status, answer.body]);

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
    const weak = await call(provider, 'POST', '/api/v1/users/me/password', {
      token: second.token,
      body: { old_password: me.password, new_password: 'password' },
    });
    assert.deepEqual([weak.status, weak.body.errors[0].field], [400, 'new_password']);
    const changed = await call(provider, 'POST', '/api/v1/users/me/password', {
      token: second.token,
      body: { old_password: me.password, new_password: 'another long secret' },
    });
    assert.equal(changed.status, 200);
    assert.deepEqual(Object.keys(changed.body).sort(), ['email', 'first_name', 'last_name', 'uuid']);
    assert.equal(changed.body.uuid, me.id);
    const left = (
      await provider.built.domain
        .knex('oidc_payloads')
        .where({ model: 'Session' })
        .whereRaw(`payload->>'accountId' = ?`, [me.id])
    ).length;
    assert.equal(left, 1);
    // The other session is over: its access token is revoked and its refresh token gone.
    assert.deepEqual(await validation(first.token), [401, { msg: 'Token has been revoked' }]);
    await assert.rejects(oidc.refreshTokenGrant(first.config, first.tokens.refresh_token ?? 'none'));
    // The session the change came from keeps working: its token and its refresh token.
    assert.deepEqual(await validation(second.token), [200, { msg: 'Token is valid' }]);
    assert.equal((await call(provider, 'GET', '/api/v1/users/me', { token: second.token })).status, 200);
    const refreshed = await oidc.refreshTokenGrant(second.config, second.tokens.refresh_token!, {
      resource: provider.config.adminAudience,
    });
    assert.deepEqual(await validation(refreshed.access_token), [200, { msg: 'Token is valid' }]);
    const types = await eventsOf(me.id);
    assert.ok(types.some((t) => t.endsWith('session-revoked')));
    assert.ok(!types.some((t) => t.endsWith('credential-change')), 'no subject-wide event: it would end this session');
    assert.equal(
      (await provider.db.knex('audit_events').where({ action: 'user.password_changed', target: me.id }).first()).data
        .signed_out,
      'others',
    );
    // An administrator setting the password ends everything, the session above included.
    const set = await call(provider, 'PUT', `/api/v1/users/${me.id}/password`, {
      token: admin,
      body: { new_password: 'set by an admin 123' },
    });
    assert.equal(set.status, 200);
    assert.deepEqual(await validation(refreshed.access_token), [401, { msg: 'Token has been revoked' }]);
    await assert.rejects(oidc.refreshTokenGrant(second.config, refreshed.refresh_token ?? 'none'));
    assert.ok((await eventsOf(me.id)).some((t) => t.endsWith('credential-change')));
  });

  test('self-service: profile answers like GET, logins newest first, ending a session, unlinking', async () => {
    const me = await createUser(provider);
    const someone = await createUser(provider);
    const other = await userToken(provider, me);
    const { token } = await userToken(provider, me);
    const patched = await call(provider, 'PATCH', '/api/v1/users/me', { token, body: { last_name: 'Lovelace' } });
    assert.equal(patched.status, 200);
    const got = await call(provider, 'GET', '/api/v1/users/me', { token });
    assert.deepEqual(patched.body, got.body);
    assert.equal(got.body.last_name, 'Lovelace');
    assert.ok(Array.isArray(got.body.roles) && Array.isArray(got.body.permissions));
    await expectProblems(provider, token, [
      { method: 'PATCH', path: '/api/v1/users/me', body: { email: someone.email }, status: 409, field: 'email' },
      { method: 'PATCH', path: '/api/v1/users/me', body: { email: 'not an email' }, status: 400, field: 'email' },
      {
        method: 'PATCH',
        path: '/api/v1/users/me',
        body: { first_name: 'x'.repeat(101) },
        status: 400,
        field: 'first_name',
      },
      { method: 'DELETE', path: '/api/v1/users/me/sessions/nope', status: 404, field: 'session_id' },
      { method: 'DELETE', path: '/api/v1/users/me/identities/not-a-uuid', status: 404, field: 'identity_id' },
    ]);
    assert.equal((await call(provider, 'GET', '/api/v1/users/me', { token })).body.email, me.email.toLowerCase());

    // Sign-in history, newest first (a failed attempt comes last in time).
    await assert.rejects(userToken(provider, { email: me.email, password: 'not the password' }));
    const logins = (await call(provider, 'GET', '/api/v1/users/me/logins', { token })).body.logins as {
      time: string;
      result: string;
    }[];
    assert.ok(logins.length >= 3);
    assert.notEqual(logins[0]!.result, 'success');
    const times = logins.map((login) => Date.parse(login.time));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );

    // Ending the other session: 204, its refresh token fails, the list shrinks; this one lives on.
    const sessions = (await call(provider, 'GET', '/api/v1/users/me/sessions', { token })).body.sessions as {
      id: string;
      current: boolean;
    }[];
    const otherSession = sessions.find((session) => !session.current)!;
    const ended = await call(provider, 'DELETE', `/api/v1/users/me/sessions/${otherSession.id}`, { token });
    assert.equal(ended.status, 204);
    await assert.rejects(oidc.refreshTokenGrant(other.config, other.tokens.refresh_token ?? 'none'));
    assert.deepEqual(await validation(other.token), [401, { msg: 'Token has been revoked' }]);
    const remaining = (await call(provider, 'GET', '/api/v1/users/me/sessions', { token })).body.sessions;
    assert.deepEqual(
      remaining.map((session: { current: boolean }) => session.current),
      [true],
    );

    // Linked identities: one may go while another way to sign in is left; the last one may not.
    const [first, second] = await provider.db
      .knex('identities')
      .insert([
        { user_id: me.id, provider: 'google', subject: `g-${me.id}-1`, email: me.email },
        { user_id: me.id, provider: 'google', subject: `g-${me.id}-2`, email: me.email },
      ])
      .returning('id');
    await provider.db.knex('users').where({ id: me.id }).update({ password_hash: null });
    const listed = await call(provider, 'GET', '/api/v1/users/me/identities', { token });
    assert.deepEqual([listed.body.identities.length, listed.body.has_password], [2, false]);
    const unlinked = await call(provider, 'DELETE', `/api/v1/users/me/identities/${first.id}`, { token });
    assert.equal(unlinked.status, 204);
    await expectProblems(provider, token, [
      { method: 'DELETE', path: `/api/v1/users/me/identities/${second.id}`, status: 409, field: 'identity_id' },
    ]);
    assert.deepEqual(
      (await call(provider, 'GET', '/api/v1/users/me/identities', { token })).body.identities.map(
        (identity: { uuid: string }) => identity.uuid,
      ),
      [second.id],
    );
  });

  test('users, explanation, preview and clients: bad input 400, unknown 404, naming the field', async () => {
    const person = await createUser(provider);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const byId = (id: string) => `/api/v1/users/${id}`;
    const cases: BadInputCase[] = [];
    for (const [id, status] of [
      ['not-a-uuid', 400],
      [unknown, 404],
    ] as const) {
      cases.push(
        { method: 'GET', path: byId(id), status, field: 'user_id' },
        { method: 'PATCH', path: byId(id), body: { first_name: 'A' }, status, field: 'user_id' },
        { method: 'DELETE', path: byId(id), status, field: 'user_id' },
        { method: 'POST', path: `${byId(id)}/block`, status, field: 'user_id' },
        { method: 'POST', path: `${byId(id)}/unblock`, status, field: 'user_id' },
        { method: 'GET', path: `${byId(id)}/logins`, status, field: 'user_id' },
        { method: 'GET', path: `${byId(id)}/sessions`, status, field: 'user_id' },
        { method: 'DELETE', path: `${byId(id)}/sessions`, status, field: 'user_id' },
        { method: 'DELETE', path: `${byId(id)}/sessions/abc`, status, field: 'user_id' },
        {
          method: 'PUT',
          path: `${byId(id)}/password`,
          body: { new_password: 'a fine new secret' },
          status,
          field: 'user_id',
        },
        {
          method: 'GET',
          path: `${byId(id)}/permission_explanation?permission=pro_read`,
          status,
          field: 'user_id',
        },
        { method: 'GET', path: `${byId(id)}/token_claims_preview`, status, field: 'user_id' },
      );
    }
    const explain = `${byId(person.id)}/permission_explanation`;
    cases.push(
      { method: 'PATCH', path: byId(person.id), body: { email: 'not an email' }, status: 400, field: 'email' },
      { method: 'PATCH', path: byId(person.id), body: { last_name: 42 }, status: 400, field: 'last_name' },
      { method: 'PUT', path: `${byId(person.id)}/password`, body: {}, status: 400, field: 'new_password' },
      { method: 'DELETE', path: `${byId(person.id)}/sessions/abc`, status: 404, field: 'session_id' },
      { method: 'GET', path: `${explain}?permissions=not-json`, status: 400, field: 'permissions' },
      {
        method: 'GET',
        path: `${explain}?permissions=${encodeURIComponent('{"some":[]}')}`,
        status: 400,
        field: 'permissions',
      },
      { method: 'GET', path: `${explain}?permission=has%20space`, status: 400, field: 'permission' },
      {
        method: 'POST',
        path: '/api/v1/users',
        body: { password: 'a long enough secret' },
        status: 400,
        field: 'email',
      },
      // clients
      { method: 'GET', path: '/api/v1/clients/has%20space', status: 400, field: 'client_id' },
      { method: 'GET', path: `/api/v1/clients/${'c'.repeat(256)}`, status: 400, field: 'client_id' },
      { method: 'DELETE', path: '/api/v1/clients/has%20space', status: 400, field: 'client_id' },
      {
        method: 'POST',
        path: '/api/v1/clients',
        body: { client_id: 'bad id', grant_types: [] },
        status: 400,
        field: 'client_id',
      },
      { method: 'POST', path: '/api/v1/clients', body: { permissions: 'pro_read' }, status: 400, field: 'permissions' },
      { method: 'GET', path: '/api/v1/clients/unknown-client', status: 404, field: 'client_id' },
      {
        method: 'PATCH',
        path: '/api/v1/clients/unknown-client',
        body: { client_name: 'x' },
        status: 404,
        field: 'client_id',
      },
      { method: 'DELETE', path: '/api/v1/clients/unknown-client', status: 404, field: 'client_id' },
      { method: 'POST', path: '/api/v1/clients/unknown-client/secret', status: 404, field: 'client_id' },
      { method: 'GET', path: '/api/v1/clients/unknown-client/permissions', status: 404, field: 'client_id' },
      {
        method: 'POST',
        path: '/api/v1/clients/unknown-client/permissions',
        body: { name: 'pro_read' },
        status: 404,
        field: 'client_id',
      },
      {
        method: 'DELETE',
        path: '/api/v1/clients/unknown-client/permissions/pro_read',
        status: 404,
        field: 'client_id',
      },
    );
    await expectProblems(provider, admin, cases);
    const machine = await call(provider, 'POST', '/api/v1/clients', {
      token: admin,
      body: { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
    });
    const grants = `/api/v1/clients/${machine.body.client_id}/permissions`;
    await expectProblems(provider, admin, [
      { method: 'POST', path: grants, body: {}, status: 400, field: 'name' },
      { method: 'POST', path: grants, body: { name: 'nope' }, status: 404, field: 'name' },
      { method: 'DELETE', path: `${grants}/nope`, status: 404, field: 'permission' },
      {
        method: 'POST',
        path: '/api/v1/clients',
        body: { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], permissions: ['nope'] },
        status: 404,
        field: 'permissions',
      },
    ]);
    assert.equal((await call(provider, 'GET', byId(person.id), { token: admin })).body.first_name, null);
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
    const attempts = () => provider.db.knex('sign_in_attempts').where({ email: target.email });
    const attemptCount = (await attempts()).length;
    assert.ok(attemptCount > 0);
    assert.equal((await call(provider, 'DELETE', `/api/v1/users/${target.id}`, { token: admin })).status, 204);
    assert.equal((await call(provider, 'GET', `/api/v1/users/${target.id}`, { token: admin })).status, 404);
    // The sign-in history stays, no longer naming the deleted account.
    const kept = await attempts();
    assert.equal(kept.length, attemptCount);
    assert.ok(kept.every((row: { user_id: string | null }) => row.user_id === null));
    assert.ok((await eventsOf(target.id)).some((t) => t.endsWith('account-purged')));
  });

  test('an admin cannot block or delete their own account (409)', async () => {
    const root = await createUser(provider, { roles: ['admin'] });
    const { token } = await userToken(provider, root);
    await expectProblems(provider, token, [
      { method: 'POST', path: `/api/v1/users/${root.id}/block`, status: 409, field: 'user_id' },
      { method: 'DELETE', path: `/api/v1/users/${root.id}`, status: 409, field: 'user_id' },
    ]);
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
    assert.equal((await call(provider, 'GET', '/api/v1/audit_events?until=later', { token: admin })).status, 400);
    // The rotation and its record are one transaction: they share the transaction's now().
    const record = await provider.db.knex('audit_events').where({ action: 'keys.rotated' }).first();
    const activated = await provider.db.knex('signing_keys').where({ kid: rotated.body.activated[0] }).first();
    assert.equal(record.created_at.getTime(), activated.activated_at.getTime());
  });

  test('audit: target and until filters, newest first', async () => {
    const person = await createUser(provider);
    const base = `/api/v1/users/${person.id}`;
    await call(provider, 'PATCH', base, { token: admin, body: { first_name: 'One' } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await call(provider, 'PATCH', base, { token: admin, body: { first_name: 'Two' } });
    await call(provider, 'POST', `${base}/roles`, { token: admin, body: { name: 'trial' } });
    const byTarget = await call(provider, 'GET', `/api/v1/audit_events?target=${person.id}`, { token: admin });
    assert.equal(byTarget.status, 200);
    const stored = await provider.db.knex('audit_events').where({ target: person.id }).count({ n: '*' }).first();
    assert.equal(byTarget.body.total, Number(stored!.n));
    assert.ok(byTarget.body.items.every((item: { target: string }) => item.target === person.id));
    const types = byTarget.body.items.map((item: { type: string }) => item.type);
    assert.deepEqual(types.slice(0, 3), ['role.granted', 'user.updated', 'user.updated']);
    const until = encodeURIComponent(between);
    const early = await call(provider, 'GET', `/api/v1/audit_events?target=${person.id}&until=${until}`, {
      token: admin,
    });
    assert.ok(early.body.items.every((item: { time: string }) => Date.parse(item.time) <= Date.parse(between)));
    assert.equal(early.body.total, byTarget.body.total - 2);
    const late = await call(provider, 'GET', `/api/v1/audit_events?target=${person.id}&since=${until}`, {
      token: admin,
    });
    assert.deepEqual(
      late.body.items.map((item: { type: string }) => item.type),
      ['role.granted', 'user.updated'],
    );
  });

  test('concurrent client updates each keep the other’s change (the client is read locked)', async () => {
    const created = await call(provider, 'POST', '/api/v1/clients', {
      token: admin,
      body: { client_name: 'Racer', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
    });
    const path = `/api/v1/clients/${created.body.client_id}`;
    const members = ['client_uri', 'policy_uri', 'tos_uri', 'logo_uri'];
    const answers = await Promise.all(
      members.map((member) =>
        call(provider, 'PATCH', path, { token: admin, body: { [member]: `https://example.com/${member}` } }),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      members.map(() => 200),
    );
    const after = await call(provider, 'GET', path, { token: admin });
    for (const member of members) assert.equal(after.body[member], `https://example.com/${member}`, member);
    assert.equal(after.body.client_name, 'Racer');
  });
});
