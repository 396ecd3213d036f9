import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { adminApi } from '../src/admin/admin-api.ts';
import { type RunningProvider, startProvider } from './harness.ts';
import { createTestStores, pastClaimsChangeLead, type TestStores } from '@usher/test-support';
import { createUser, discover, filmsResource } from './fixtures.ts';
import { call, expectProblems, machineToken, userToken, type BadInputCase } from './admin-fixtures.ts';

const spec = parse(readFileSync(new URL('../openapi/admin-api.yaml', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { security?: unknown[]; tags?: string[] }>>;
};
const methods = ['get', 'put', 'post', 'patch', 'delete'];
const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
  methods.filter((method) => item[method]).map((method) => ({ method, path, operation: item[method]! })),
);
const compatibility = (path: string) => path.includes('combined_permissions') || path === '/auth_token/validation';

describe('admin API: spec, docs and authorization', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let admin: string;
  let stranger: string;
  let user: { id: string; email: string; password: string };

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores);
    admin = await machineToken(provider, ['permissions_admin']);
    stranger = await machineToken(provider, []);
    user = await createUser(provider);
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  test('routes and the OpenAPI document match both ways', () => {
    const { built } = provider;
    const api = adminApi({
      config: provider.config,
      domain: built.domain,
      feed: built.feed,
      holder: built.holder,
      throttle: built.throttle,
      store: provider.store,
      logger: provider.logger,
    });
    const routes = api.routeTable().map(([method, path]) => `${method} ${path}`);
    const documented = operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    assert.deepEqual([...new Set(routes)].sort(), [...documented].sort());
    assert.equal(new Set(routes).size, routes.length, 'no route is registered twice');
  });

  test('the spec is served as JSON and YAML, with a self-contained docs page', async () => {
    const json = await call(provider, 'GET', '/api/openapi.json');
    assert.equal(json.status, 200);
    assert.equal((json.body as { openapi: string }).openapi, '3.1.0');
    const yaml = await fetch(`${provider.url}/api/openapi.yaml`);
    assert.match(yaml.headers.get('content-type')!, /yaml/);
    const docs = await fetch(`${provider.url}/api/docs`);
    assert.match(docs.headers.get('content-type')!, /^text\/html/);
    const page = await docs.text();
    for (const { path } of operations)
      assert.ok(page.includes(`<code>/api/v1${path.replace(/&/g, '&amp;')}</code>`), path);
    assert.doesNotMatch(page, /<script|https?:\/\/(?!localhost)[^"]*\.(js|css)/);
  });

  test('every admin operation: anonymous 401, a token without permissions_admin 403', async () => {
    const sample: Record<string, string> = {
      user_id: user.id,
      role: 'subscriber',
      permission: 'pro_read',
      client_id: 'nobody',
      session_id: 'nothing',
      identity_id: '00000000-0000-4000-8000-000000000000',
    };
    for (const { method, path } of operations) {
      if (compatibility(path)) continue;
      const concrete = `/api/v1${path.replace(/\{(\w+)\}/g, (_, name: string) => sample[name]!)}`;
      const body = method === 'get' || method === 'delete' ? undefined : {};
      const anonymous = await call(provider, method.toUpperCase(), concrete, { body });
      assert.equal(anonymous.status, 401, `${method} ${path} anonymous`);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.match(anonymous.headers.get('content-type') ?? '', /application\/problem\+json/);
      const denied = await call(provider, method.toUpperCase(), concrete, { token: stranger, body });
      assert.equal(denied.status, 403, `${method} ${path} without permissions_admin`);
      assert.match(denied.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    }
  });

  test('a forged, foreign-audience or garbage token is 401 invalid_token', async () => {
    const forged = `${admin.slice(0, -6)}AAAAAA`;
    for (const token of [forged, 'not-a-token']) {
      const answer = await call(provider, 'GET', '/api/v1/roles', { token });
      assert.equal(answer.status, 401);
      assert.match(answer.headers.get('www-authenticate')!, /invalid_token/);
    }
  });

  test('unknown API paths are 404 problems, not the protocol’s', async () => {
    const answer = await call(provider, 'GET', '/api/v1/nothing-here', { token: admin });
    assert.equal(answer.status, 404);
    assert.equal((answer.body as { status: number }).status, 404);
  });

  test('a known path asked with a method it lacks is a 405 problem with Allow; OPTIONS lists them', async () => {
    const cases: [string, string, string][] = [
      ['PUT', '/api/v1/roles', 'GET, HEAD, POST'],
      ['POST', `/api/v1/users/${user.id}/logins/`, 'GET, HEAD'],
      ['DELETE', '/api/v1/auth_token/validation', 'GET, HEAD'],
      ['PUT', '/api/openapi.json', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await call(provider, method, path, { token: admin });
      assert.equal(answer.status, 405, `${method} ${path}`);
      assert.equal(answer.headers.get('allow'), allow, `${method} ${path}`);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.deepEqual([answer.body.status, answer.body.title], [405, 'Method Not Allowed']);
    }
    const options = await call(provider, 'OPTIONS', '/api/v1/roles/subscriber');
    assert.deepEqual([options.status, options.headers.get('allow')], [204, 'DELETE, GET, HEAD, PATCH']);
    // The method is still the one the route has: an allowed method goes on to authentication.
    assert.equal((await call(provider, 'PATCH', '/api/v1/roles/subscriber', { body: {} })).status, 401);
  });
});

describe('admin API: permissions, roles and grants', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let admin: string;
  let user: { id: string; email: string; password: string };

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores);
    admin = await machineToken(provider, ['permissions_admin']);
    user = await createUser(provider);
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  test('permission CRUD with 400, 404 and 409', async () => {
    const created = await call(provider, 'POST', '/api/v1/permissions', {
      token: admin,
      body: { name: 'films_edit', description: 'Edit films' },
    });
    assert.equal(created.status, 201);
    assert.deepEqual(
      { ...created.body, uuid: undefined },
      { uuid: undefined, name: 'films_edit', description: 'Edit films', resource: null },
    );
    const duplicate = await call(provider, 'POST', '/api/v1/permissions', {
      token: admin,
      body: { name: 'films_edit' },
    });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.errors[0].field, 'name');
    const bad = await call(provider, 'POST', '/api/v1/permissions', { token: admin, body: { name: 'has space' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].field, 'name');
    const missing = await call(provider, 'POST', '/api/v1/permissions', { token: admin, body: {} });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.errors[0], { field: 'name', in: 'body', message: 'Required' });
    const notJson = await call(provider, 'POST', '/api/v1/permissions', { token: admin, rawBody: '{oops' });
    assert.equal(notJson.status, 400);
    const patched = await call(provider, 'PATCH', '/api/v1/permissions/films_edit', {
      token: admin,
      body: { description: 'Edit the catalogue' },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.description, 'Edit the catalogue');
    assert.equal((await call(provider, 'GET', '/api/v1/permissions/films_edit', { token: admin })).status, 200);
    const list = await call(provider, 'GET', '/api/v1/permissions', { token: admin });
    const names = (list.body as { name: string }[]).map((p) => p.name);
    assert.deepEqual(names, [...names].sort());
    assert.equal((await call(provider, 'PATCH', '/api/v1/permissions/nope', { token: admin, body: {} })).status, 404);
    assert.equal((await call(provider, 'DELETE', '/api/v1/permissions/films_edit', { token: admin })).status, 204);
    assert.equal((await call(provider, 'DELETE', '/api/v1/permissions/films_edit', { token: admin })).status, 404);
  });

  test('role CRUD, attach and detach, with 404 and 409', async () => {
    const created = await call(provider, 'POST', '/api/v1/roles', {
      token: admin,
      body: { name: 'editor', description: 'Edits' },
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.permissions, []);
    assert.equal(
      (await call(provider, 'POST', '/api/v1/roles', { token: admin, body: { name: 'editor' } })).status,
      409,
    );
    for (let i = 0; i < 2; i += 1) {
      const attached = await call(provider, 'POST', '/api/v1/roles/editor/permissions', {
        token: admin,
        body: { name: 'pro_read' },
      });
      assert.equal(attached.status, 200);
      assert.deepEqual(
        (attached.body as { name: string }[]).map((p) => p.name),
        ['pro_read'],
      );
    }
    const unknownPermission = await call(provider, 'POST', '/api/v1/roles/editor/permissions', {
      token: admin,
      body: { name: 'nope' },
    });
    assert.equal(unknownPermission.status, 404);
    const renamedTaken = await call(provider, 'PATCH', '/api/v1/roles/editor', {
      token: admin,
      body: { name: 'admin' },
    });
    assert.equal(renamedTaken.status, 409);
    const renamed = await call(provider, 'PATCH', '/api/v1/roles/editor', {
      token: admin,
      body: { name: 'editors', description: 'Edit things' },
    });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.name, 'editors');
    const detached = await call(provider, 'DELETE', '/api/v1/roles/editors/permissions/pro_read', { token: admin });
    assert.deepEqual(detached.body, []);
    assert.equal(
      (await call(provider, 'DELETE', '/api/v1/roles/editors/permissions/pro_read', { token: admin })).status,
      200,
    );
    assert.equal((await call(provider, 'GET', '/api/v1/roles/editors', { token: admin })).status, 200);
    assert.equal((await call(provider, 'DELETE', '/api/v1/roles/editors', { token: admin })).status, 204);
    assert.equal((await call(provider, 'GET', '/api/v1/roles/editors', { token: admin })).status, 404);
    const roles = await call(provider, 'GET', '/api/v1/roles', { token: admin });
    assert.ok((roles.body as { name: string }[]).some((role) => role.name === 'superuser'));
  });

  test('a user’s roles and direct permissions: idempotent grants, 400 and 404', async () => {
    const base = `/api/v1/users/${user.id}`;
    for (let i = 0; i < 2; i += 1) {
      const granted = await call(provider, 'POST', `${base}/roles`, { token: admin, body: { name: 'subscriber' } });
      assert.equal(granted.status, 200);
      assert.deepEqual(
        (granted.body as { name: string }[]).map((r) => r.name),
        ['subscriber', 'user'],
      );
    }
    assert.equal((await call(provider, 'POST', `${base}/roles`, { token: admin, body: { name: 'nope' } })).status, 404);
    assert.equal((await call(provider, 'POST', `${base}/roles`, { token: admin, body: {} })).status, 400);
    assert.equal((await call(provider, 'GET', '/api/v1/users/not-a-uuid/roles', { token: admin })).status, 400);
    const unknown = '00000000-0000-4000-8000-000000000000';
    assert.equal((await call(provider, 'GET', `/api/v1/users/${unknown}/roles`, { token: admin })).status, 404);
    const left = await call(provider, 'DELETE', `${base}/roles/subscriber`, { token: admin });
    assert.deepEqual(
      (left.body as { name: string }[]).map((r) => r.name),
      ['user'],
    );
    const direct = await call(provider, 'POST', `${base}/permissions`, { token: admin, body: { name: 'pro_read' } });
    assert.deepEqual(
      (direct.body as { name: string }[]).map((p) => p.name),
      ['pro_read'],
    );
    assert.equal((await call(provider, 'GET', `${base}/permissions`, { token: admin })).body.length, 1);
    const none = await call(provider, 'DELETE', `${base}/permissions/pro_read`, { token: admin });
    assert.deepEqual(none.body, []);
    // Taking away an existing role or permission the user does not hold: the same 200 and list.
    const notHeld = await call(provider, 'DELETE', `${base}/roles/trial`, { token: admin });
    assert.deepEqual([notHeld.status, (notHeld.body as { name: string }[]).map((r) => r.name)], [200, ['user']]);
    assert.deepEqual((await call(provider, 'DELETE', `${base}/permissions/pro_read`, { token: admin })).body, []);
  });

  test('bad input and unknown names: 400, 404 and 409 problems naming the field', async () => {
    const long = (n: number) => 'x'.repeat(n);
    const unknownUser = '00000000-0000-4000-8000-000000000000';
    const base = `/api/v1/users/${user.id}`;
    const cases: BadInputCase[] = [
      // roles
      { method: 'POST', path: '/api/v1/roles', body: {}, status: 400, field: 'name' },
      { method: 'POST', path: '/api/v1/roles', body: { name: long(81) }, status: 400, field: 'name' },
      { method: 'POST', path: '/api/v1/roles', body: { name: ' padded' }, status: 400, field: 'name' },
      {
        method: 'POST',
        path: '/api/v1/roles',
        body: { name: 'ok', description: long(257) },
        status: 400,
        field: 'description',
      },
      { method: 'POST', path: '/api/v1/roles', body: { name: 'subscriber' }, status: 409, field: 'name' },
      { method: 'GET', path: '/api/v1/roles/nope', status: 404, field: 'role' },
      { method: 'PATCH', path: '/api/v1/roles/nope', body: { description: 'x' }, status: 404, field: 'role' },
      { method: 'PATCH', path: '/api/v1/roles/subscriber', body: { name: 7 }, status: 400, field: 'name' },
      { method: 'PATCH', path: '/api/v1/roles/subscriber', body: { name: 'admin' }, status: 409, field: 'name' },
      { method: 'DELETE', path: '/api/v1/roles/nope', status: 404, field: 'role' },
      {
        method: 'POST',
        path: '/api/v1/roles/nope/permissions',
        body: { name: 'pro_read' },
        status: 404,
        field: 'role',
      },
      { method: 'POST', path: '/api/v1/roles/trial/permissions', body: {}, status: 400, field: 'name' },
      { method: 'POST', path: '/api/v1/roles/trial/permissions', body: { name: 'nope' }, status: 404, field: 'name' },
      { method: 'DELETE', path: '/api/v1/roles/trial/permissions/nope', status: 404, field: 'permission' },
      { method: 'DELETE', path: '/api/v1/roles/nope/permissions/pro_read', status: 404, field: 'role' },
      // permissions
      {
        method: 'POST',
        path: '/api/v1/permissions',
        body: { name: 'ok_p', description: 5 },
        status: 400,
        field: 'description',
      },
      { method: 'GET', path: '/api/v1/permissions/nope', status: 404, field: 'permission' },
      { method: 'PATCH', path: '/api/v1/permissions/nope', body: {}, status: 404, field: 'permission' },
      {
        method: 'PATCH',
        path: '/api/v1/permissions/pro_read',
        body: { description: long(257) },
        status: 400,
        field: 'description',
      },
      {
        method: 'PATCH',
        path: '/api/v1/permissions/pro_read',
        body: { resource: 'not a uri' },
        status: 400,
        field: 'resource',
      },
      {
        method: 'PATCH',
        path: '/api/v1/permissions/pro_read',
        body: { resource: 'ftp://films.test' },
        status: 400,
        field: 'resource',
      },
      {
        method: 'PATCH',
        path: '/api/v1/permissions/pro_read',
        body: { resource: 'http://films.test/#x' },
        status: 400,
        field: 'resource',
      },
      { method: 'DELETE', path: '/api/v1/permissions/nope', status: 404, field: 'permission' },
      // a user's roles and direct permissions
      { method: 'POST', path: `${base}/permissions`, body: {}, status: 400, field: 'name' },
      { method: 'POST', path: `${base}/permissions`, body: { name: 'nope' }, status: 404, field: 'name' },
      { method: 'POST', path: `${base}/roles`, body: { name: 'nope' }, status: 404, field: 'name' },
      { method: 'DELETE', path: `${base}/roles/nope`, status: 404, field: 'role' },
      { method: 'DELETE', path: `${base}/permissions/nope`, status: 404, field: 'permission' },
      {
        method: 'POST',
        path: '/api/v1/users/not-a-uuid/permissions',
        body: { name: 'pro_read' },
        status: 400,
        field: 'user_id',
      },
      { method: 'GET', path: `/api/v1/users/${unknownUser}/permissions`, status: 404, field: 'user_id' },
      { method: 'DELETE', path: `/api/v1/users/${unknownUser}/roles/user`, status: 404, field: 'user_id' },
      { method: 'DELETE', path: `/api/v1/users/${unknownUser}/permissions/pro_read`, status: 404, field: 'user_id' },
    ];
    await expectProblems(provider, admin, cases);
    // Nothing was written by any of them.
    assert.equal(await provider.db.knex('roles').where({ name: 'ok' }).first(), undefined);
    assert.equal(await provider.db.knex('permissions').where({ name: 'ok_p' }).first(), undefined);
    assert.equal((await call(provider, 'GET', '/api/v1/permissions/pro_read', { token: admin })).body.resource, null);
  });

  test('a grant reaches the next token and emits a revocation event for the subject', async () => {
    const { token, tokens, config } = await userToken(provider, user);
    assert.ok(!(decodeJwt(token).permissions as string[]).includes('permissions_admin'));
    const before = new Date();
    const granted = await call(provider, 'POST', `/api/v1/users/${user.id}/roles`, {
      token: admin,
      body: { name: 'admin' },
    });
    assert.equal(granted.status, 200);
    const events = await provider.db
      .knex('security_events')
      .where({ subject: user.id })
      .where('created_at', '>=', before);
    assert.ok(events.some((event) => String(event.event_type).endsWith('token-claims-change')));
    const audit = await provider.db
      .knex('audit_events')
      .where({ target: user.id, action: 'role.granted' })
      .whereRaw(`data->>'role' = 'admin'`)
      .first();
    assert.deepEqual(audit.data.after, ['admin', 'user']);
    assert.equal(audit.actor.startsWith('client:'), true);
    // The old token is revoked; a fresh one (after the claims cache's reach) carries the new permission.
    assert.equal((await call(provider, 'GET', '/api/v1/users/me', { token })).status, 401);
    // iat is whole seconds and the event reaches claimsChangeLeadSeconds (2 s) ahead, rounded up.
    await pastClaimsChangeLead();
    const refreshed = await oidc
      .refreshTokenGrant(config, tokens.refresh_token!, {
        resource: provider.config.adminAudience,
      })
      .catch(() => null);
    const next = refreshed?.access_token ?? (await userToken(provider, user)).token;
    assert.ok((decodeJwt(next).permissions as string[]).includes('permissions_admin'));
    assert.equal((await call(provider, 'GET', '/api/v1/roles', { token: next })).status, 200);
  });

  test('nothing half-written: a client with an unknown permission leaves no client behind', async () => {
    const answer = await call(provider, 'POST', '/api/v1/clients', {
      token: admin,
      body: {
        client_id: 'half-written',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        permissions: ['pro_read', 'does_not_exist'],
      },
    });
    assert.equal(answer.status, 404);
    assert.equal(await provider.db.knex('clients').where({ client_id: 'half-written' }).first(), undefined);
    assert.equal(await provider.db.knex('audit_events').where({ target: 'half-written' }).first(), undefined);
  });

  test('a NUL character in a body, a query or a path is a 400 problem, never a 500', async () => {
    // PostgreSQL text cannot hold U+0000; such input must be refused before it reaches the database.
    const probes: [string, string, number, unknown?][] = [
      ['POST', '/api/v1/roles', 400, { name: 'nul-role', description: 'a\u0000b' }],
      ['PATCH', `/api/v1/users/${user.id}`, 400, { first_name: 'A\u0000da' }],
      ['POST', '/api/v1/users', 400, { email: 'nul\u0000@example.com', password: 'a fine long passphrase' }],
      ['POST', `/api/v1/users/${user.id}/roles`, 400, { name: 'user\u0000' }],
      ['POST', '/api/v1/clients', 400, { client_id: 'nul-client', client_name: 'a\u0000', grant_types: [] }],
      ['GET', '/api/v1/users?query=%00', 400],
      ['GET', '/api/v1/audit_events?target=%00', 400],
      ['GET', '/api/v1/roles/a%00b', 400],
      ['GET', '/api/v1/permissions/a%00b', 400],
      ['GET', '/api/v1/clients/a%00b', 400],
      ['DELETE', `/api/v1/users/${user.id}/permissions/a%00b`, 400],
      [
        'GET',
        `/api/v1/users/${user.id}/permission_explanation?permissions=%7B%22any%22%3A%5B%22a%5Cu0000%22%5D%7D`,
        400,
      ],
    ];
    for (const [method, path, status, body] of probes) {
      const answer = await call(provider, method, path, { token: admin, ...(body === undefined ? {} : { body }) });
      assert.equal(answer.status, status, `${method} ${path}`);
      assert.match(answer.headers.get('content-type') ?? '', /json/);
    }
    assert.equal(await provider.db.knex('roles').where({ name: 'nul-role' }).first(), undefined);
    assert.equal(await provider.db.knex('clients').where({ client_id: 'nul-client' }).first(), undefined);
  });

  test('an unpaired surrogate in a body is a 400 problem naming the field, never a 500 or a U+FFFD stored', async () => {
    // JSON may escape half a surrogate pair; no UTF-8 holds it: jsonb refuses it, text stores U+FFFD.
    const probes: [string, string, string][] = [
      ['/api/v1/clients', '{"client_id":"lone-client","client_name":"a\\ud800b","grant_types":[]}', 'client_name'],
      ['/api/v1/roles', '{"name":"lone-role","description":"\\udc00"}', 'description'],
    ];
    for (const [path, rawBody, field] of probes) {
      const answer = await call(provider, 'POST', path, { token: admin, rawBody });
      assert.equal(answer.status, 400, path);
      assert.deepEqual(
        answer.body.errors.map((error: { field: string; in: string }) => [error.field, error.in]),
        [[field, 'body']],
      );
    }
    assert.equal(await provider.db.knex('roles').where({ name: 'lone-role' }).first(), undefined);
    assert.equal(await provider.db.knex('clients').where({ client_id: 'lone-client' }).first(), undefined);
  });
});

describe('admin API: contract rules (revocation, order, audiences)', () => {
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

  const claimsEvents = async (subject: string) =>
    ((await provider.db.knex('security_events').where({ subject }).pluck('event_type')) as string[]).filter((type) =>
      type.endsWith('/token-claims-change'),
    ).length;
  const names = (body: unknown) => (body as { name: string }[]).map((item) => item.name);

  test('deleting a permission removes it from every role, user and client, and retires their tokens', async () => {
    const post = (path: string, body: unknown) => call(provider, 'POST', `/api/v1${path}`, { token: admin, body });
    assert.equal((await post('/permissions', { name: 'doomed' })).status, 201);
    assert.equal((await post('/roles', { name: 'doomed_role' })).status, 201);
    await post('/roles/doomed_role/permissions', { name: 'doomed' });
    await post('/roles/subscriber/permissions', { name: 'doomed' });
    const viaRole = await createUser(provider, { roles: ['doomed_role'] });
    const direct = await createUser(provider);
    await post(`/users/${direct.id}/permissions`, { name: 'doomed' });
    const machine = await post('/clients', {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      permissions: ['doomed'],
    });
    const clientId = machine.body.client_id as string;
    const bystander = await createUser(provider, { roles: ['trial'] });
    const before = await Promise.all([viaRole.id, direct.id, clientId, bystander.id].map(claimsEvents));

    assert.equal((await call(provider, 'DELETE', '/api/v1/permissions/doomed', { token: admin })).status, 204);
    const after = await Promise.all([viaRole.id, direct.id, clientId, bystander.id].map(claimsEvents));
    assert.deepEqual(
      after.map((count, i) => count - before[i]!),
      [1, 1, 1, 0],
    );
    const role = await call(provider, 'GET', '/api/v1/roles/doomed_role', { token: admin });
    assert.deepEqual(role.body.permissions, []);
    assert.ok(
      !names((await call(provider, 'GET', '/api/v1/roles/subscriber', { token: admin })).body.permissions).includes(
        'doomed',
      ),
    );
    assert.deepEqual(
      (await call(provider, 'GET', `/api/v1/users/${direct.id}/permissions`, { token: admin })).body,
      [],
    );
    assert.deepEqual(
      (await call(provider, 'GET', `/api/v1/clients/${clientId}`, { token: admin })).body.permissions,
      [],
    );
    const audit = await provider.db.knex('audit_events').where({ action: 'permission.deleted' }).first();
    assert.equal(audit.data.before.name, 'doomed');
  });

  test('a role’s attach, detach, rename and deletion each retire its holders’ tokens; a description does not', async () => {
    const call_ = (method: string, path: string, body?: unknown) =>
      call(provider, method, `/api/v1${path}`, { token: admin, ...(body === undefined ? {} : { body }) });
    assert.equal((await call_('POST', '/roles', { name: 'evented' })).status, 201);
    const holder = await createUser(provider, { roles: ['evented'] });
    const other = await createUser(provider);
    const steps: [string, () => Promise<{ status: number }>, number][] = [
      ['attach', () => call_('POST', '/roles/evented/permissions', { name: 'pro_read' }), 1],
      ['attach again (no change)', () => call_('POST', '/roles/evented/permissions', { name: 'pro_read' }), 0],
      ['describe', () => call_('PATCH', '/roles/evented', { description: 'Now described' }), 0],
      ['detach', () => call_('DELETE', '/roles/evented/permissions/pro_read'), 1],
      ['detach again (absent)', () => call_('DELETE', '/roles/evented/permissions/pro_read'), 0],
      ['rename', () => call_('PATCH', '/roles/evented', { name: 'evented_2' }), 1],
      ['delete', () => call_('DELETE', '/roles/evented_2'), 1],
    ];
    for (const [label, step, expected] of steps) {
      const [holderBefore, otherBefore] = [await claimsEvents(holder.id), await claimsEvents(other.id)];
      assert.ok([200, 204].includes((await step()).status), label);
      assert.equal((await claimsEvents(holder.id)) - holderBefore, expected, label);
      assert.equal((await claimsEvents(other.id)) - otherBefore, 0, label);
    }
    assert.deepEqual(
      (await call_('GET', `/users/${holder.id}/roles`)).body.map((role: { name: string }) => role.name),
      ['user'],
    );
  });

  test('roles and permissions are listed in code-unit order, whatever the database collation', async () => {
    // Make the columns sort by a locale when this PostgreSQL has ICU: 'a.y' then sorts before 'B_x'.
    const { knex } = provider.db;
    const icu = await knex('pg_collation').where({ collname: 'und-x-icu' }).first();
    if (icu) {
      for (const table of ['permissions', 'roles'])
        await knex.raw(`alter table ${table} alter column name type varchar(80) collate "und-x-icu"`);
    }
    for (const name of ['B_x', 'a.y', 'A-z']) {
      assert.equal((await call(provider, 'POST', '/api/v1/permissions', { token: admin, body: { name } })).status, 201);
      assert.equal((await call(provider, 'POST', '/api/v1/roles', { token: admin, body: { name } })).status, 201);
    }
    for (const name of ['B_x', 'a.y', 'A-z']) {
      const attached = await call(provider, 'POST', '/api/v1/roles/A-z/permissions', { token: admin, body: { name } });
      assert.equal(attached.status, 200);
    }
    const sorted = (list: string[]) => [...list].sort();
    const permissions = names((await call(provider, 'GET', '/api/v1/permissions', { token: admin })).body);
    const roles = await call(provider, 'GET', '/api/v1/roles', { token: admin });
    for (const list of [permissions, names(roles.body)]) {
      assert.deepEqual(list, sorted(list));
      assert.deepEqual(
        list.filter((name) => ['B_x', 'a.y', 'A-z'].includes(name)),
        ['A-z', 'B_x', 'a.y'],
      );
    }
    const attached = roles.body.find((role: { name: string }) => role.name === 'A-z').permissions;
    assert.deepEqual(names(attached), ['A-z', 'B_x', 'a.y']);
    const detail = await call(provider, 'GET', '/api/v1/roles/A-z', { token: admin });
    assert.deepEqual(names(detail.body.permissions), ['A-z', 'B_x', 'a.y']);
  });

  test('all_all alone is enough for the admin API, for a client', async () => {
    const root = await machineToken(provider, ['all_all']);
    assert.deepEqual(decodeJwt(root).permissions, ['all_all']);
    assert.equal((await call(provider, 'GET', '/api/v1/roles', { token: root })).status, 200);
    const created = await call(provider, 'POST', '/api/v1/roles', { token: root, body: { name: 'made_by_root' } });
    assert.equal(created.status, 201);
    const audit = await provider.db
      .knex('audit_events')
      .where({ action: 'role.created', target: created.body.uuid })
      .first();
    assert.match(audit.actor, /^client:/);
  });

  test('a valid token for another audience (a resource server) is refused 401', async () => {
    const { domain } = provider.built;
    const machine = await domain.clients.create({
      client_name: 'Films importer',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    });
    await domain.access.grantPermissionToClient(machine.client_id, 'permissions_admin');
    const config = await discover(
      provider,
      machine.client_id,
      machine.client_secret!,
      oidc.ClientSecretPost(machine.client_secret!),
    );
    const films = (await oidc.clientCredentialsGrant(config, { resource: filmsResource })).access_token;
    const claims = decodeJwt(films);
    assert.equal(claims.aud, filmsResource);
    assert.ok((claims.permissions as string[]).includes('permissions_admin'));
    const answer = await call(provider, 'GET', '/api/v1/roles', { token: films });
    assert.equal(answer.status, 401);
    assert.match(answer.headers.get('www-authenticate')!, /error="invalid_token"/);
    assert.match(answer.headers.get('content-type')!, /^application\/problem\+json/);
    // The same client, asking for the admin audience, is let in: the audience was the only fault.
    const own = (await oidc.clientCredentialsGrant(config, { resource: provider.config.adminAudience })).access_token;
    assert.equal((await call(provider, 'GET', '/api/v1/roles', { token: own })).status, 200);
  });
});
