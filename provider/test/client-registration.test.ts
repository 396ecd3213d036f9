/**
 * Issue 13, items 7, 8, 9 (secrets) and 12: the client registration rules as the admin API applies
 * them, the admin API's body limits and messages, client credentials refused to public clients at
 * the token endpoint, and the compatibility endpoints' audience check.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { createTestStores, type TestStores } from '@usher/test-support';
import { startProvider, type RunningProvider } from './harness.ts';
import { createUser, discover, filmsResource, signIn, createWebClient } from './fixtures.ts';
import { call, machineToken, userToken } from './admin-fixtures.ts';

const machineMetadata = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };

describe('client registration rules and admin API input', () => {
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

  const api = (method: string, path: string, body?: unknown) =>
    call(provider, method, `/api/v1${path}`, { token: admin, ...(body === undefined ? {} : { body }) });

  /** The answer is problem+json with `status`, naming `field` in `errors`; answers the message. */
  function expectProblem(answer: Awaited<ReturnType<typeof api>>, status: number, field: string): string {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const named = (answer.body.errors ?? []).find((error: { field: string }) => error.field === field);
    assert.ok(named, `names ${field}: ${JSON.stringify(answer.body)}`);
    return named.message as string;
  }

  const audits = async (target: string) =>
    Number((await provider.db.knex('audit_events').where({ target }).count({ n: '*' }).first())!.n);
  const events = async (subject: string) =>
    Number((await provider.db.knex('security_events').where({ subject }).count({ n: '*' }).first())!.n);
  const storedMetadata = async (clientId: string) =>
    (
      (await provider.db.knex('clients').where({ client_id: clientId }).first()) as {
        metadata: Record<string, unknown>;
      }
    ).metadata;

  test('a JSON body over 64 KB is a 413 problem, with or without Content-Length', async () => {
    const big = JSON.stringify({ client_name: 'x'.repeat(200 * 1024), ...machineMetadata });
    const declared = await call(provider, 'POST', '/api/v1/clients', { token: admin, rawBody: big });
    expectProblem(declared, 413, '(body)');
    assert.equal(declared.body.title, 'Payload Too Large');
    // Streamed (chunked, no Content-Length): the limit is counted as the bytes arrive.
    const bytes = new TextEncoder().encode(big);
    const streamed = await fetch(`${provider.url}/api/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 16 * 1024) controller.enqueue(bytes.slice(at, at + 16 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.equal(((await streamed.json()) as { status: number }).status, 413);
    // Just under the limit is read as usual (here: refused by the rules, not by its size).
    const near = JSON.stringify({ client_name: 'x'.repeat(60 * 1024), colour: 'blue', ...machineMetadata });
    expectProblem(await call(provider, 'POST', '/api/v1/clients', { token: admin, rawBody: near }), 422, 'colour');
    assert.equal((await api('GET', '/clients')).body.length, 1, 'only the admin client exists');
  });

  test('a member of the wrong type says which type it must be; a missing one stays Required', async () => {
    const person = await createUser(provider);
    const cases: [string, string, unknown, string, string][] = [
      ['PATCH', `/users/${person.id}`, { last_name: 42 }, 'last_name', 'Must be a string'],
      ['POST', '/permissions', { name: ['films_edit'] }, 'name', 'Must be a string'],
      ['POST', '/clients', { ...machineMetadata, permissions: 'pro_read' }, 'permissions', 'Must be an array'],
      ['POST', '/clients', { ...machineMetadata, first_party: 'yes' }, 'first_party', 'Must be a boolean'],
      ['POST', '/permissions', { description: 'no name' }, 'name', 'Required'],
    ];
    for (const [method, path, body, field, message] of cases) {
      assert.equal(expectProblem(await api(method, path, body), 400, field), message, `${method} ${path}`);
    }
  });

  test('PATCH /clients refuses unknown members and the secret; a change that changes nothing is not audited', async () => {
    const created = await api('POST', '/clients', { client_name: 'Importer', ...machineMetadata });
    assert.equal(created.status, 201);
    const id = created.body.client_id as string;
    for (const [body, field] of [
      [{ colour: 'blue' }, 'colour'],
      [{ client_name: 'Renamed', permissions: ['pro_read'] }, 'permissions'],
      [{ client_secret: randomBytes(32).toString('base64url') }, 'client_secret'],
      [{ client_id: 'another-id' }, 'client_id'],
    ] as const) {
      const message = expectProblem(await api('PATCH', `/clients/${id}`, body), 422, field);
      assert.ok(message.startsWith(field), message);
    }
    const got = await api('GET', `/clients/${id}`);
    assert.equal(got.body.colour, undefined);
    assert.equal(got.body.client_name, 'Importer');
    assert.deepEqual(Object.keys(await storedMetadata(id)).includes('colour'), false);

    const [auditsBefore, eventsBefore] = [await audits(id), await events(id)];
    for (const body of [{}, { client_name: 'Importer' }, { ...machineMetadata, first_party: false, client_id: id }]) {
      const same = await api('PATCH', `/clients/${id}`, body);
      assert.equal(same.status, 200, JSON.stringify(body));
      assert.equal(same.body.client_name, 'Importer');
    }
    assert.equal(await audits(id), auditsBefore, 'no audit record for a change that changes nothing');
    assert.equal(await events(id), eventsBefore, 'no token-claims-change for a change that changes nothing');
    assert.equal((await api('PATCH', `/clients/${id}`, { client_name: 'Importer 2' })).status, 200);
    assert.equal(await audits(id), auditsBefore + 1, 'a real change is still audited');
    // A member removed with null, even one the rules do not know, is a change the rules allow.
    assert.equal((await api('PATCH', `/clients/${id}`, { colour: null })).status, 200);
  });

  test('a PATCH body that is not UTF-8 is refused, nothing stored', async () => {
    const created = await api('POST', '/clients', { client_name: 'Plain', ...machineMetadata });
    const id = created.body.client_id as string;
    const body = Buffer.concat([Buffer.from('{"client_name":"Caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const answer = await fetch(`${provider.url}/api/v1/clients/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body,
    });
    assert.equal(answer.status, 400);
    const problem = (await answer.json()) as { errors: { field: string; message: string }[] };
    assert.deepEqual(problem.errors[0], { field: '(body)', in: 'body', message: 'The body must be UTF-8' });
    assert.equal((await storedMetadata(id)).client_name, 'Plain');
    // Proper UTF-8 (é as two bytes) is stored as sent.
    const fine = await api('PATCH', `/clients/${id}`, { client_name: 'Café' });
    assert.equal(fine.body.client_name, 'Café');
  });

  test('POST /clients: a supplied secret meets the secret rules and is the one that works', async () => {
    const clientCount = async () => (await api('GET', '/clients')).body.length as number;
    const before = await clientCount();
    const weak = ['abc', 'a'.repeat(40), 'ab'.repeat(20), 'password'.repeat(5), `${'x'.repeat(31)}`, 'é'.repeat(40)];
    for (const secret of weak) {
      const answer = await api('POST', '/clients', { ...machineMetadata, client_secret: secret });
      const message = expectProblem(answer, 422, 'client_secret');
      assert.match(message, /^client_secret /);
    }
    const publicWithSecret = await api('POST', '/clients', {
      redirect_uris: ['http://127.0.0.1:9/cb'],
      token_endpoint_auth_method: 'none',
      client_secret: randomBytes(32).toString('base64url'),
    });
    expectProblem(publicWithSecret, 422, 'client_secret');
    assert.equal(await clientCount(), before, 'nothing refused was stored');

    const secret = randomBytes(24).toString('base64url'); // 32 characters
    const kept = await api('POST', '/clients', {
      ...machineMetadata,
      client_secret: secret,
      permissions: ['pro_read'],
    });
    assert.equal(kept.status, 201);
    assert.equal(kept.body.client_secret, secret, 'the supplied secret, shown once');
    const config = await discover(provider, kept.body.client_id, secret, oidc.ClientSecretPost(secret));
    const tokens = await oidc.clientCredentialsGrant(config, { resource: filmsResource });
    assert.ok(tokens.access_token);
    const generated = await api('POST', '/clients', machineMetadata);
    assert.equal(generated.body.client_secret.length, 43, 'a generated secret: 32 random bytes');
  });

  test('authorization_code needs redirect URIs and the code response type', async () => {
    const noRedirects = await api('POST', '/clients', {
      grant_types: ['authorization_code'],
      response_types: [],
      redirect_uris: [],
    });
    expectProblem(noRedirects, 422, 'redirect_uris');
    const noCode = await api('POST', '/clients', {
      grant_types: ['authorization_code'],
      response_types: [],
      redirect_uris: ['http://127.0.0.1:9/cb'],
    });
    expectProblem(noCode, 422, 'response_types');
    const machine = await api('POST', '/clients', machineMetadata);
    const patched = await api('PATCH', `/clients/${machine.body.client_id}`, {
      grant_types: ['authorization_code'],
      response_types: ['code'],
    });
    expectProblem(patched, 422, 'redirect_uris');
    assert.deepEqual((await api('GET', `/clients/${machine.body.client_id}`)).body.grant_types, ['client_credentials']);
  });

  test('a public client cannot be registered with client_credentials, nor changed to have it', async () => {
    const registered = await api('POST', '/clients', { ...machineMetadata, token_endpoint_auth_method: 'none' });
    const message = expectProblem(registered, 422, 'grant_types');
    assert.match(message, /client_credentials/);
    const spa = await api('POST', '/clients', {
      redirect_uris: ['http://127.0.0.1:9/cb'],
      token_endpoint_auth_method: 'none',
    });
    assert.equal(spa.status, 201);
    const widened = await api('PATCH', `/clients/${spa.body.client_id}`, {
      grant_types: ['authorization_code', 'client_credentials'],
    });
    expectProblem(widened, 422, 'grant_types');
    const confidential = await api('POST', '/clients', machineMetadata);
    expectProblem(
      await api('PATCH', `/clients/${confidential.body.client_id}`, { token_endpoint_auth_method: 'none' }),
      422,
      'grant_types',
    );
  });

  test('the token endpoint refuses client credentials to a public client, whatever is stored', async () => {
    // Stored around the rules (an older registration): the token endpoint refuses it anyway.
    const stored = await provider.built.domain.clients.create({
      ...machineMetadata,
      token_endpoint_auth_method: 'none',
    });
    await provider.built.domain.access.grantPermissionToClient(stored.client_id, 'permissions_admin');
    const answer = await fetch(`${provider.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: stored.client_id,
        resource: provider.config.adminAudience,
      }),
    });
    const body = (await answer.json()) as { error: string; access_token?: string };
    assert.equal(answer.status, 400);
    assert.equal(body.error, 'invalid_request');
    assert.equal(body.access_token, undefined);
  });
});

describe('compatibility endpoints: the audience of admin calls (CONTRACTS.md 1.3)', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let alice: { id: string; email: string; password: string };
  let bob: { id: string; email: string; password: string };

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores);
    await provider.built.domain.resources.upsert(filmsResource, 'Films');
    alice = await createUser(provider, { roles: ['subscriber'] });
    bob = await createUser(provider);
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  /** A client-credentials token of `resource` for a new client holding `permissions`. */
  async function clientToken(resource: string, permissions: string[] = []) {
    const { domain } = provider.built;
    const client = await domain.clients.create({
      ...machineMetadata,
      token_endpoint_auth_method: 'client_secret_post',
    });
    for (const permission of permissions) await domain.access.grantPermissionToClient(client.client_id, permission);
    const config = await discover(
      provider,
      client.client_id,
      client.client_secret!,
      oidc.ClientSecretPost(client.client_secret!),
    );
    return (await oidc.clientCredentialsGrant(config, { resource })).access_token;
  }

  const paths = () => [
    `/api/v1/users/${alice.id}/combined_permissions`,
    `/api/v1/users/${alice.id}/combined_permissions/validation?permissions=${encodeURIComponent('{"any":["pro_read"]}')}`,
  ];

  test('a client-credentials token for another audience is refused; one for the admin API reads', async () => {
    const films = await clientToken(filmsResource);
    const filmsAdmin = await clientToken(filmsResource, ['permissions_admin']);
    const adminApi = await clientToken(provider.config.adminAudience);
    for (const path of paths()) {
      for (const token of [films, filmsAdmin]) {
        const refused = await call(provider, 'GET', path, { token });
        assert.deepEqual([refused.status, refused.body], [422, { msg: 'The token is not meant for this API' }], path);
      }
      assert.equal((await call(provider, 'GET', path, { token: adminApi })).status, 200, path);
    }
  });

  test('a user reads their own permissions with a token of any audience; an admin needs the admin audience', async () => {
    const client = await createWebClient(provider);
    const config = await discover(provider, client.client_id, client.client_secret);
    const own = (await signIn(provider, config, alice, { resource: filmsResource })).tokens.access_token;
    for (const path of paths()) assert.equal((await call(provider, 'GET', path, { token: own })).status, 200, path);

    const root = await createUser(provider, { roles: ['superuser'] });
    const rootFilms = (await signIn(provider, config, root, { resource: filmsResource })).tokens.access_token;
    const rootAdmin = (await userToken(provider, root)).token;
    for (const path of paths()) {
      const refused = await call(provider, 'GET', path, { token: rootFilms });
      assert.deepEqual([refused.status, refused.body], [422, { msg: 'The token is not meant for this API' }], path);
      assert.equal((await call(provider, 'GET', path, { token: rootAdmin })).status, 200, path);
    }
    // Without a resource the token is opaque (no audience): the user's own still reads, others do not.
    const opaque = (await signIn(provider, config, bob)).tokens.access_token;
    const bobs = `/api/v1/users/${bob.id}/combined_permissions`;
    assert.equal((await call(provider, 'GET', bobs, { token: opaque })).status, 200);
    assert.equal((await call(provider, 'GET', paths()[0]!, { token: opaque })).status, 422);
  });
});
