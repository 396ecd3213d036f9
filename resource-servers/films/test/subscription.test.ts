import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createTestStores,
  machineToken,
  type ProviderProcess,
  registerMachineClient,
  startProviderProcess,
  type TestStores,
} from '@usher/test-support';
import { fixtureFilms, ids, short } from './fixture-catalogue.ts';
import { json, startFilms, type RunningFilms } from './films-harness.ts';

const resource = 'http://films.subscription.test';

describe('the subscription rule (CONTRACTS 3.2) with real tokens from a real provider', () => {
  let stores: TestStores;
  let filmStores: TestStores;
  let provider: ProviderProcess;
  let films: RunningFilms;
  let subscriber: string;
  let superuser: string;
  let viewer: string;

  before(async () => {
    stores = await createTestStores();
    provider = await startProviderProcess(stores);
    const subscriberSecret = registerMachineClient(provider, resource, 'films-subscriber', ['pro_read']);
    const superuserSecret = registerMachineClient(provider, resource, 'films-superuser', ['all_all']);
    const viewerSecret = registerMachineClient(provider, resource, 'films-viewer', []);
    [subscriber, superuser, viewer] = await Promise.all([
      machineToken(provider, 'films-subscriber', subscriberSecret, resource),
      machineToken(provider, 'films-superuser', superuserSecret, resource),
      machineToken(provider, 'films-viewer', viewerSecret, resource),
    ]);
    // Separate stores: on the embedded defaults the provider process hosts its database, and
    // hanging the provider (below) must not hang the catalogue's.
    filmStores = await createTestStores();
    films = await startFilms(filmStores, { issuer: provider.url, resource, films: fixtureFilms });
  });

  after(async () => {
    await films?.stop();
    await provider?.kill();
    await stores?.dispose();
    await filmStores?.dispose();
  });

  const uuids = async (response: Response) => {
    assert.equal(response.status, 200);
    return (await json<{ uuid: string }[]>(response)).map((item) => item.uuid);
  };

  test('subscribers (pro_read or all_all) see every film, in every list and detail', async () => {
    const all = [
      ids.zebra,
      ids.starWars,
      ids.appleTree,
      ids.comedyNight,
      ids.anotherStar,
      ids.runningMan,
      ids.quietDrama,
    ];
    for (const token of [subscriber, superuser]) {
      assert.deepEqual(await uuids(await films.get('/api/v1/films', token)), all);
      assert.equal((await films.get(`/api/v1/films/${ids.appleTree}`, token)).status, 200);
      const star = await films.get('/api/v1/films/search?query=star', token);
      assert.deepEqual(await uuids(star), [ids.starWars, ids.anotherStar, ids.runningMan]);
      assert.deepEqual(await uuids(await films.get(`/api/v1/persons/${ids.eve}/films`, token)), [
        ids.zebra,
        ids.appleTree,
      ]);
      const eve = await json<{ films: unknown[] }>(await films.get(`/api/v1/persons/${ids.eve}`, token));
      assert.deepEqual(eve.films, [short(ids.zebra), short(ids.appleTree)]);
    }
  });

  test('a token without pro_read and an anonymous caller see ratings up to 7.0 (and unrated) only', async () => {
    const visible = [ids.comedyNight, ids.anotherStar, ids.runningMan, ids.quietDrama];
    for (const token of [viewer, undefined]) {
      assert.deepEqual(await uuids(await films.get('/api/v1/films', token)), visible);
      assert.deepEqual(await uuids(await films.get('/api/v1/films?page[size]=2&page[number]=1', token)), [
        ids.runningMan,
        ids.quietDrama,
      ]);
      assert.equal((await films.get('/api/v1/films?page[size]=2&page[number]=2', token)).status, 404);
      const hidden = await films.get(`/api/v1/films/${ids.starWars}`, token);
      assert.equal(hidden.status, 403);
      assert.equal(hidden.headers.get('www-authenticate'), 'Bearer error="insufficient_scope"');
      assert.equal((await json<{ detail: string }>(hidden)).detail, 'Not enough permissions');
      // 7.0 itself is visible.
      assert.equal((await films.get(`/api/v1/films/${ids.comedyNight}`, token)).status, 200);
      // Order of checks: 422, then 404, then 403.
      assert.equal((await films.get('/api/v1/films/nope', token)).status, 422);
      assert.equal((await films.get(`/api/v1/films/${ids.unknown}`, token)).status, 404);
      assert.equal((await films.get(`/api/v1/persons/${ids.eve}/films`, token)).status, 404);
      assert.deepEqual(await uuids(await films.get('/api/v1/films/search?query=star', token)), [
        ids.anotherStar,
        ids.runningMan,
      ]);
    }
  });

  test('the cache keeps subscriber and non-subscriber answers apart', async () => {
    const path = `/api/v1/persons/${ids.anna}`;
    const forSubscriber = await json<{ films: unknown[] }>(await films.get(path, subscriber));
    const forViewer = await json<{ films: unknown[] }>(await films.get(path, viewer));
    const again = await films.get(path, subscriber);
    assert.equal(again.headers.get('x-cache'), 'HIT');
    assert.equal((await json<{ films: unknown[] }>(again)).films.length, 2);
    assert.equal(forSubscriber.films.length, 2);
    assert.equal(forViewer.films.length, 1);
  });

  /** films' one log line per request, found by the X-Request-Id the test sent. */
  const requestLine = (requestId: string) => {
    const lines = films.logs.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'request' && line.requestId === requestId);
    assert.equal(lines.length, 1, `one request line for ${requestId}`);
    return lines[0]!;
  };

  test('a tampered token is 401 invalid_token, never anonymous', async () => {
    const response = await films.get('/api/v1/films', `${subscriber}x`, { 'x-request-id': 'tampered-1' });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate')!, /^Bearer error="invalid_token"/);
    const line = requestLine('tampered-1');
    assert.equal(line.status, 401);
    assert.equal(line.auth, 'USHER_TOKEN_INVALID');
    assert.equal(line.degraded, false);
  });

  test('provider hung: an unknown kid is anonymous with X-Auth-Degraded: 1; a cached key keeps the subscription', async () => {
    provider.hang();
    // Past the key refresh cooldown, an unseen kid makes the kit ask the provider, which cannot answer.
    await new Promise((resolve) => setTimeout(resolve, 150));
    try {
      const [, payload, signature] = subscriber.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'never-published' })).toString(
        'base64url',
      );
      const degraded = await films.get('/api/v1/films', [header, payload, signature].join('.'), {
        'x-request-id': 'degraded-list',
      });
      assert.equal(degraded.headers.get('x-auth-degraded'), '1');
      // The request line says why it was anonymous; the kit's warning carries the same request id.
      assert.deepEqual(
        (({ status, auth, degraded: flag }) => ({ status, auth, degraded: flag }))(requestLine('degraded-list')),
        { status: 200, auth: 'USHER_KEYS_UNAVAILABLE', degraded: true },
      );
      const warnings = films.logs.lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === 'serving anonymously: provider keys unavailable');
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.requestId, 'degraded-list');
      assert.deepEqual(await uuids(degraded), [ids.comedyNight, ids.anotherStar, ids.runningMan, ids.quietDrama]);
      const detail = await films.get(`/api/v1/films/${ids.starWars}`, [header, payload, signature].join('.'));
      assert.equal(detail.status, 403);
      const kept = await films.get(`/api/v1/films/${ids.starWars}`, subscriber, { 'x-request-id': 'cached-key' });
      assert.equal(kept.status, 200);
      assert.equal(kept.headers.get('x-auth-degraded'), null);
      assert.equal(requestLine('cached-key').auth, 'USHER_TOKEN_VERIFIED');
      assert.equal(requestLine('cached-key').degraded, false);
    } finally {
      provider.resume();
    }
  });
});
