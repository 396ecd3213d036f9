import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';
import { keyRetentionSeconds, keysChangedChannel } from '../src/domain.ts';
import { startProvider } from './harness.ts';
import { createTestStores, type TestStores } from '@usher/test-support';
import { callbackUrl, createUser, createWebClient, discover, filmsResource, signIn } from './fixtures.ts';

async function jwksKids(url: string): Promise<string[]> {
  const body = (await (await fetch(new URL('/jwks', url))).json()) as { keys: { kid: string }[] };
  return body.keys.map((key) => key.kid);
}

describe('durability: restarts, several instances, key rotation', () => {
  let stores: TestStores;
  let user: { id: string; email: string; password: string };

  before(async () => {
    stores = await createTestStores();
  });

  after(async () => {
    await stores?.dispose();
  });

  test('a provider restart between sign-in and refresh loses no session, grant or refresh token', async () => {
    let provider = await startProvider(stores);
    const port = Number(new URL(provider.url).port);
    await provider.built.domain.resources.upsert(filmsResource, 'Films');
    const client = await createWebClient(provider);
    user = await createUser(provider, { roles: ['subscriber'] });
    let config = await discover(provider, client.client_id, client.client_secret);
    const { tokens, agent } = await signIn(provider, config, user, { resource: filmsResource });
    await provider.stop();

    provider = await startProvider(stores, {}, { port });
    try {
      config = await discover(provider, client.client_id, client.client_secret);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, { resource: filmsResource });
      assert.equal(decodeJwt(refreshed.access_token).sub, user.id);
      // The browser session survived too: a new authorization completes without the sign-in form.
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: callbackUrl,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const { url: landed } = await agent.follow(url.toString(), provider.url);
      assert.ok(landed.startsWith(callbackUrl), `session kept across restart (${landed})`);
    } finally {
      await provider.stop();
    }
  });

  test('two instances on one database (and Redis): sign in on one, refresh on the other, follow a rotation within 5 s', async () => {
    const a = await startProvider(stores, { KEY_POLL_INTERVAL_MS: '2000' });
    // Both instances serve one issuer, as behind a load balancer.
    const b = await startProvider(stores, { KEY_POLL_INTERVAL_MS: '2000', ISSUER: a.url });
    try {
      await a.built.domain.resources.upsert(filmsResource, 'Films');
      const client = await createWebClient(a);
      const configA = await discover(a, client.client_id, client.client_secret);
      const { tokens } = await signIn(a, configA, user, { resource: filmsResource });
      const bUrl = `http://127.0.0.1:${b.config.PORT}`;
      const { supportsPKCE: _supportsPKCE, ...metadata } = configA.serverMetadata();
      const configB = new oidc.Configuration(
        { ...metadata, token_endpoint: new URL('/token', bUrl).toString() },
        client.client_id,
        client.client_secret,
        oidc.ClientSecretBasic(client.client_secret!),
      );
      oidc.allowInsecureRequests(configB);
      const refreshed = await oidc.refreshTokenGrant(configB, tokens.refresh_token!, { resource: filmsResource });
      assert.equal(decodeJwt(refreshed.access_token).sub, user.id);

      const before = (await a.built.domain.keys.published())
        .filter((key) => key.status === 'next')
        .map((key) => key.kid);
      assert.deepEqual(
        (await jwksKids(bUrl)).filter((kid) => before.includes(kid)).sort(),
        [...before].sort(),
        'next keys are published before they sign',
      );
      const started = Date.now();
      const { activated, retired } = await a.built.domain.keys.rotate(keyRetentionSeconds(a.config));
      assert.deepEqual([...activated].sort(), [...before].sort(), 'rotation promotes the pre-published keys');
      const newNext = (await a.built.domain.keys.published())
        .filter((key) => key.status === 'next')
        .map((key) => key.kid);
      let seen: string[] = [];
      while (Date.now() - started < 5000) {
        seen = await jwksKids(bUrl);
        if (newNext.every((kid) => seen.includes(kid))) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(
        newNext.every((kid) => seen.includes(kid)),
        'the other instance publishes the new next keys within 5 s',
      );
      assert.ok(
        retired.every((kid) => seen.includes(kid)),
        'retired keys stay published',
      );
      // B now signs with the promoted key (it was in everyone's JWKS before it signed anything).
      const again = await oidc.refreshTokenGrant(configB, refreshed.refresh_token!, { resource: filmsResource });
      assert.ok(activated.includes(decodeProtectedHeader(again.access_token).kid!));
    } finally {
      await b.stop();
      await a.stop();
    }
  });

  test('a rotation announced on the store reaches a running instance at once', async () => {
    const provider = await startProvider(stores, { KEY_POLL_INTERVAL_MS: '5000' });
    try {
      const published = await provider.built.domain.keys.published();
      await provider.built.domain.keys.rotate(keyRetentionSeconds(provider.config));
      await provider.store.publish(keysChangedChannel, 'rotated');
      const deadline = Date.now() + 2000;
      let kids: string[] = [];
      while (Date.now() < deadline) {
        kids = await jwksKids(provider.url);
        if (kids.length > published.length) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(kids.length > published.length, 'new next keys published without waiting for the poll');
    } finally {
      await provider.stop();
    }
  });
});
