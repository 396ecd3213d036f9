import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type * as oidc from 'openid-client';
import {
  createTestStores,
  createUserAccount,
  machineToken,
  pastClaimsChangeLead,
  type ProviderProcess,
  registerMachineClient,
  registerWebClient,
  signInUser,
  signOutUser,
  startProviderProcess,
  storeMode,
  type TestStores,
} from '@usher/test-support';
import { follow, startHello, until, type HelloProcess } from './hello-process.ts';

const resource = 'http://hello.kit.test';
const receiverSecret = randomBytes(24).toString('base64url');
/** With Redis the stream hears of a revocation by pub/sub within a second; without, by a 300 ms poll. */
const pollMs = storeMode === 'real' ? 60_000 : 300;
const revocationBound = storeMode === 'real' ? 1000 : pollMs + 1500;

describe('the README’s hello service, run as a program against a real provider', () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let hello: HelloProcess;
  let web: oidc.Configuration;
  let reader: string;
  let visitor: string;
  let adminToken: string;

  before(async () => {
    stores = await createTestStores();
    provider = await startProviderProcess(stores, {
      USHER_RESOURCE_SERVERS: `Hello=${resource}`,
      USHER_EVENT_RECEIVERS: `hello-service:${receiverSecret}`,
    });
    const created = provider.cli('permissions', 'create', 'hello_read', '--resource', resource);
    assert.equal(created.status, 0, created.stderr);
    const readerSecret = registerMachineClient(provider, resource, 'hello-reader', ['hello_read']);
    const visitorSecret = registerMachineClient(provider, resource, 'hello-visitor', []);
    const adminAudience = `${provider.url}/api`;
    const adminSecret = registerMachineClient(provider, adminAudience, 'hello-admin', ['permissions_admin']);
    web = await registerWebClient(provider, 'hello-web');
    // Granting permissions is a claims change: tokens minted in its lead time are covered by it.
    await pastClaimsChangeLead();
    [reader, visitor, adminToken] = await Promise.all([
      machineToken(provider, 'hello-reader', readerSecret, resource),
      machineToken(provider, 'hello-visitor', visitorSecret, resource),
      machineToken(provider, 'hello-admin', adminSecret, adminAudience),
    ]);
    hello = await startHello(provider, stores, resource, {
      HELLO_CLIENT_ID: 'hello-service',
      HELLO_CLIENT_SECRET: receiverSecret,
      HELLO_EVENTS_POLL_MS: String(pollMs),
    });
  });

  after(async () => {
    await hello?.stop();
    await provider?.kill();
    await stores?.dispose();
  });

  const call = (method: string, pathname: string, token?: string, body?: unknown) =>
    fetch(hello.url + pathname, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  /** Status and JSON body of an answer, checking it is the service's own error shape when it fails. */
  const answer = async (response: Promise<Response>) => {
    const got = await response;
    return { status: got.status, headers: got.headers, body: (await got.json()) as Record<string, unknown> };
  };

  test('anonymous callers and verified ones, by name', async () => {
    assert.deepEqual((await answer(call('GET', '/hello'))).body, { hello: 'stranger' });
    assert.deepEqual((await answer(call('GET', '/hello', reader))).body, { hello: 'hello-reader' });
  });

  test('401 and 403 answer in the service’s own body, with the bearer challenges', async () => {
    const bad = await answer(call('GET', '/hello', `${reader}x`));
    assert.deepEqual([bad.status, bad.body], [401, { error: 'token-invalid' }]);
    assert.equal(bad.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    const anonymous = await answer(call('GET', '/secret'));
    assert.deepEqual([anonymous.status, anonymous.body], [401, { error: 'sign-in-required' }]);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    const forbidden = await answer(call('GET', '/secret', visitor));
    assert.deepEqual([forbidden.status, forbidden.body], [403, { error: 'not-allowed' }]);
    assert.equal(forbidden.headers.get('www-authenticate'), 'Bearer error="insufficient_scope"');
    const allowed = await answer(call('GET', '/secret', reader));
    assert.deepEqual([allowed.status, allowed.body], [200, { secret: 'the cake is in the fridge' }]);
  });

  test('validation, unknown paths and methods answer in the service’s own body too', async () => {
    const invalid = await answer(call('POST', '/greetings', visitor, { name: '' }));
    assert.deepEqual([invalid.status, invalid.body], [400, { error: 'bad-input', fields: ['name'] }]);
    const malformed = await answer(call('POST', '/greetings', visitor, '{"name":'));
    assert.deepEqual([malformed.status, malformed.body], [400, { error: 'bad-json' }]);
    const greeted = await answer(call('POST', '/greetings', visitor, { name: 'Ada' }));
    assert.deepEqual([greeted.status, greeted.body], [201, { greeting: 'Hello, Ada!' }]);
    const missing = await answer(call('GET', '/nowhere'));
    assert.deepEqual([missing.status, missing.body], [404, { error: 'not-found' }]);
    const wrongMethod = await answer(call('DELETE', '/hello'));
    assert.deepEqual([wrongMethod.status, wrongMethod.body], [405, { error: 'method-not-allowed' }]);
    assert.equal(wrongMethod.headers.get('allow'), 'GET, HEAD');
    const ready = await answer(call('GET', '/readyz'));
    assert.equal(ready.status, 200);
  });

  /** A signed-in user with an event stream open (its first tick arrived). */
  async function userStream() {
    const user = createUserAccount(provider);
    const signedIn = await signInUser(provider, web, user, resource);
    const token = signedIn.tokens.access_token;
    assert.ok(decodeJwt(token).sid, 'a user’s token names its session');
    const stream = follow(`${hello.url}/ticks`, token);
    await stream.opened;
    await until(() => stream.state.text.includes('data: {"tick":1}'), 5000, 'the first tick');
    return { user, signedIn, token, stream: stream.state };
  }

  test('an event stream ends when its user signs out (session revoked)', async () => {
    const { signedIn, stream } = await userStream();
    const signedOut = Date.now();
    await signOutUser(provider, web, signedIn);
    await until(() => stream.endedAt > 0, revocationBound + 2000, 'the stream’s end');
    console.log(`# the stream ended ${stream.endedAt - signedOut} ms after the sign-out began (${storeMode})`);
    assert.match(stream.text, /: token revoked\n\n$/);
    assert.match(stream.text, /^id: 1\ndata: \{"tick":1\}\n\n/);
  });

  test('an event stream ends when its user is blocked; another user’s stream goes on', async () => {
    const blocked = await userStream();
    const other = await userStream();
    const response = await fetch(`${provider.url}/api/v1/users/${blocked.user.id}/block`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal(response.status, 200);
    const delay = await until(() => blocked.stream.endedAt > 0, revocationBound, 'the blocked user’s stream end');
    console.log(`# the blocked user's stream ended ${delay} ms after the block (${storeMode})`);
    assert.match(blocked.stream.text, /: token revoked\n\n$/);
    assert.equal(other.stream.endedAt, 0, 'another user’s stream is not ended');
    const ticks = (other.stream.text.match(/data: /g) ?? []).length;
    await until(() => (other.stream.text.match(/data: /g) ?? []).length > ticks, 3000, 'another tick');
    // The blocked user's token is refused outright now.
    assert.equal((await call('GET', '/hello', blocked.token)).status, 401);
  });
});
