import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createTestStores,
  machineToken,
  pastClaimsChangeLead,
  type ProviderProcess,
  registerMachineClient,
  revocationDelayWithRedisMs,
  startProviderProcess,
  storeMode,
  type TestStores,
  until,
} from '@usher/test-support';
import { fixtureFilms, ids } from './fixture-catalogue.ts';
import { startFilms, type RunningFilms } from './films-harness.ts';

const resource = 'http://films.revocation.test';
const receiverSecret = randomBytes(24).toString('base64url');
/**
 * With Redis, films polls once at start and then not within the test: a revocation can only reach it
 * by pub/sub (on the provider's prefix, as under `npm start`). Without, it polls every 300 ms.
 */
const pollMs = storeMode === 'real' ? 60_000 : 300;
const bound = storeMode === 'real' ? revocationDelayWithRedisMs : pollMs + 1500;

/**
 * Films follows the revocation feed as `npm start` wires it: the provider registers the receiver
 * client from USHER_EVENT_RECEIVERS, films polls with it (and listens on Redis when configured).
 */
describe('films refuses revoked tokens (revocation feed wired as npm start does)', () => {
  let stores: TestStores;
  let filmStores: TestStores;
  let provider: ProviderProcess;
  let stateDir: string;
  let films: RunningFilms;
  let viewerSecret: string;
  const filmsEnv = () => ({
    FILMS_CLIENT_ID: 'films-service',
    FILMS_CLIENT_SECRET: receiverSecret,
    FILMS_EVENTS_POLL_MS: String(pollMs),
    FILMS_STATE_DIR: stateDir,
    // Its own database, but the provider's Redis prefix: the channel the provider publishes on.
    ...(stores.env.REDIS_PREFIX ? { REDIS_PREFIX: stores.env.REDIS_PREFIX } : {}),
  });

  before(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'usher-films-state-'));
    stores = await createTestStores();
    provider = await startProviderProcess(stores, {
      USHER_RESOURCE_SERVERS: `Films=${resource}`,
      USHER_EVENT_RECEIVERS: `films-service:${receiverSecret}`,
    });
    viewerSecret = registerMachineClient(provider, resource, 'viewer', ['pro_read']);
    // Granting permissions is a claims change: tokens minted in its lead time are covered by it.
    await pastClaimsChangeLead();
    filmStores = await createTestStores();
    films = await startFilms(filmStores, { issuer: provider.url, resource, films: fixtureFilms, env: filmsEnv() });
  });

  after(async () => {
    await films?.stop();
    await provider?.kill();
    await stores?.dispose();
    await filmStores?.dispose();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('the provider registered films as a resource server and its receiver client at start', () => {
    const resources = provider.cli('resources', 'list');
    assert.match(resources.stdout, /films\.revocation\.test/);
    const clients = provider.cli('clients', 'list');
    assert.match(clients.stdout, /films-service/);
  });

  test('a revoked token is refused with 401 within the bound; the subscriber’s other token keeps working, also after a films restart while the provider is down', async () => {
    const [revoked, kept] = [
      await machineToken(provider, 'viewer', viewerSecret, resource),
      await machineToken(provider, 'viewer', viewerSecret, resource),
    ];
    const film = `/api/v1/films/${ids.starWars}`; // rated 8.6: subscribers only
    assert.equal((await films.get(film, revoked)).status, 200);
    const answer = await fetch(`${provider.url}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`viewer:${viewerSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: revoked, token_type_hint: 'access_token' }).toString(),
    });
    assert.equal(answer.status, 200);
    const delay = await until(async () => (await films.get(film, revoked)).status === 401, bound);
    console.log(
      `# films refused the revoked token ${delay} ms after the revocation (${storeMode === 'real' ? 'Redis pub/sub' : 'poll'})`,
    );
    const refused = await films.get(film, revoked);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal((await films.get(film, kept)).status, 200);

    // The revocation outlives a films restart while the provider is down (kept on disk).
    await provider.kill();
    await films.stop();
    films = await startFilms(filmStores, { issuer: provider.url, resource, films: fixtureFilms, env: filmsEnv() });
    assert.equal((await films.get(film, revoked)).status, 401);
    // The valid token still verifies from the keys kept on disk: 200 on a subscribers-only film (an
    // anonymous caller would get 403), not degraded.
    const valid = await films.get(film, kept);
    assert.equal(valid.status, 200);
    assert.equal(valid.headers.get('x-auth-degraded'), null);
  });
});
