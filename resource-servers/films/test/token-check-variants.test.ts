import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { outcomeCodes } from '@usher/kit';
import { createLogger } from '@usher/platform';
import {
  createTestStores,
  machineToken,
  pastClaimsChangeLead,
  type ProviderProcess,
  registerMachineClient,
  startProviderProcess,
  type TestStores,
} from '@usher/test-support';
import { IntrospectionVerifier } from '../bench/introspection-verifier.ts';
import { noCheckVerifier } from '../bench/no-check-verifier.ts';
import { buildApp, type FilmsApp } from '../src/app.ts';
import { fixtureFilms, ids } from './fixture-catalogue.ts';
import { startFilms, type RunningFilms } from './films-harness.ts';

const resource = 'http://films.variants.test';

/** The bench's seam: buildApp checks bearer tokens with `deps.verifier` when it is given one. */
describe('buildApp with another token check (deps.verifier)', () => {
  let stores: TestStores;
  let films: RunningFilms;
  let unchecked: FilmsApp;
  let server: Server;
  let url: string;

  before(async () => {
    stores = await createTestStores();
    films = await startFilms(stores, { resource, films: fixtureFilms });
    unchecked = await buildApp(films.config, {
      db: films.db,
      store: films.store,
      logger: createLogger({ service: 'films', level: 'silent' }),
      keys: films.keys,
      verifier: noCheckVerifier(),
    });
    server = unchecked.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await unchecked?.close();
    await films?.stop();
    await stores?.dispose();
  });

  test('the no-check verifier serves a subscriber whatever the token; the default still checks', async () => {
    const starWars = `/api/v1/films/${ids.starWars}`; // rated 8.6: subscribers only
    assert.equal((await fetch(url + starWars)).status, 200);
    const forged = await fetch(url + starWars, { headers: { authorization: 'Bearer not.a.token' } });
    assert.equal(forged.status, 200);
    assert.equal((await films.get(starWars)).status, 403);
    assert.equal((await films.get(starWars, 'not.a.token')).status, 401);
  });
});

describe('IntrospectionVerifier against the real provider (RFC 7662)', () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let secret: string;
  let token: string;

  before(async () => {
    stores = await createTestStores();
    provider = await startProviderProcess(stores);
    secret = registerMachineClient(provider, resource, 'films-introspector', ['pro_read']);
    await pastClaimsChangeLead(); // the grant above is a claims change: mint past its lead
    token = await machineToken(provider, 'films-introspector', secret, resource);
  });

  after(async () => {
    await provider?.kill();
    await stores?.dispose();
  });

  const discover = (clientSecret = secret) =>
    IntrospectionVerifier.discover({
      issuer: provider.url,
      audience: resource,
      clientId: 'films-introspector',
      clientSecret,
    });

  test('finds the endpoint in discovery; no token is anonymous without asking', async () => {
    const verifier = await discover();
    assert.deepEqual(await verifier.verify(undefined), { code: outcomeCodes.anonymous, degraded: false });
  });

  test('an unknown opaque token is inactive: invalid, never anonymous', async () => {
    const outcome = await (await discover()).verify('no-such-token-0123456789');
    assert.deepEqual(outcome, { code: outcomeCodes.invalid, degraded: false, reason: 'token not active' });
  });

  test('a JWT access token introspects to the same subject local verification gives; revoked, invalid', async () => {
    const verifier = await discover();
    const outcome = await verifier.verify(token);
    assert.equal(outcome.code, outcomeCodes.verified);
    assert.ok(outcome.code === outcomeCodes.verified && outcome.subject.permissions.includes('pro_read'));
    const revoked = await machineToken(provider, 'films-introspector', secret, resource);
    const answer = await fetch(`${provider.url}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`films-introspector:${secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: revoked }).toString(),
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(await verifier.verify(revoked), {
      code: outcomeCodes.invalid,
      degraded: false,
      reason: 'token not active',
    });
  });

  test('a wrong client secret is a configuration error, not an answer about the token', async () => {
    const verifier = await discover('wrong secret, long enough to be one');
    await assert.rejects(verifier.verify(token), /refused the introspection client films-introspector/);
  });

  test('the provider down: degraded', async () => {
    const verifier = await discover();
    await provider.kill();
    const outcome = await verifier.verify(token);
    assert.equal(outcome.code, outcomeCodes.degraded);
    assert.match('reason' in outcome ? outcome.reason : '', /^introspection failed: /);
  });
});
