import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { adminUiClientId, ensureAdminUiClient } from '../src/bootstrap/admin-ui-client.ts';
import { machineToken } from './admin-fixtures.ts';
import { createUser, discover } from './fixtures.ts';
import { type RunningProvider, startProvider } from './harness.ts';
import { createTestStores, readForm, type TestStores, UserAgent } from '@usher/test-support';

const uiUrl = 'http://admin.usher.test:3004';

/** The admin UI's side of the provider: its public client (USHER_ADMIN_UI_URL) and the API's CORS. */
describe('the admin UI client and CORS', () => {
  let stores: TestStores;
  let provider: RunningProvider;

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores, { USHER_ADMIN_UI_URL: uiUrl });
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  test('ensureAdminUiClient registers a public PKCE client once, and follows the UI when it moves', async () => {
    const { domain } = provider.built;
    await ensureAdminUiClient(domain, undefined, provider.logger);
    assert.equal(await domain.clients.find(adminUiClientId), undefined, 'nothing without USHER_ADMIN_UI_URL');
    await ensureAdminUiClient(domain, uiUrl, provider.logger);
    await ensureAdminUiClient(domain, `${uiUrl}/`, provider.logger);
    const rows = await provider.db.knex('clients').where({ client_id: adminUiClientId });
    assert.equal(rows.length, 1);
    const client = (await domain.clients.find(adminUiClientId))!;
    assert.equal(client.token_endpoint_auth_method, 'none');
    assert.equal(client.client_secret, undefined);
    assert.deepEqual(client.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(client.redirect_uris, [`${uiUrl}/callback`]);
    assert.deepEqual(client.post_logout_redirect_uris, [`${uiUrl}/`]);
    assert.equal(client.first_party, true);

    await ensureAdminUiClient(domain, 'https://admin.cinema.example', provider.logger);
    const moved = (await domain.clients.find(adminUiClientId))!;
    assert.deepEqual(moved.redirect_uris, ['https://admin.cinema.example/callback']);
    await ensureAdminUiClient(domain, uiUrl, provider.logger);
  });

  test('the client signs in with PKCE only, and gets an admin API token with a refresh token', async () => {
    const admin = await createUser(provider, { roles: ['admin'] });
    const config = await discover(provider, adminUiClientId);
    const agent = new UserAgent();
    const withoutPkce = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${uiUrl}/callback`,
      scope: 'openid',
    });
    const refused = await agent.follow(withoutPkce.toString(), provider.url);
    assert.match(refused.url, /error=invalid_request/, 'a public client must use PKCE');

    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${uiUrl}/callback`,
      scope: 'openid profile email offline_access',
      resource: provider.config.adminAudience,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const page = await agent.follow(url.toString(), provider.url);
    const form = readForm(await page.response.text());
    const answer = await agent.submit(form.action, provider.url, {
      ...form.fields,
      email: admin.email,
      password: admin.password,
    });
    assert.ok(answer.url.startsWith(`${uiUrl}/callback?`), answer.url);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(answer.url), {
      pkceCodeVerifier: verifier,
      idTokenExpected: true,
    });
    assert.ok(tokens.refresh_token);
    const { decodeJwt } = await import('jose');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, provider.config.adminAudience);
    assert.ok((claims.permissions as string[]).includes('permissions_admin'));
    const renewed = await oidc.refreshTokenGrant(config, tokens.refresh_token, {
      resource: provider.config.adminAudience,
    });
    assert.equal(decodeJwt(renewed.access_token).aud, provider.config.adminAudience);
  });

  test('only the UI origin may call the admin API from a browser, with a bearer token and no credentials', async () => {
    const token = await machineToken(provider, ['permissions_admin']);
    const preflight = await fetch(`${provider.url}/api/v1/roles/critic`, {
      method: 'OPTIONS',
      headers: {
        origin: uiUrl,
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), uiUrl);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /DELETE/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), null);
    assert.match(preflight.headers.get('vary') ?? '', /Origin/);

    const listed = await fetch(`${provider.url}/api/v1/roles`, {
      headers: { origin: uiUrl, authorization: `Bearer ${token}` },
    });
    assert.equal(listed.status, 200);
    assert.equal(listed.headers.get('access-control-allow-origin'), uiUrl);
    assert.match(listed.headers.get('access-control-expose-headers') ?? '', /X-Request-Id/);
    const refused = await fetch(`${provider.url}/api/v1/roles`, { headers: { origin: uiUrl } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), uiUrl, 'the UI can read why it was refused');

    for (const origin of ['http://evil.example', 'http://admin.usher.test:3005', 'null']) {
      const foreign = await fetch(`${provider.url}/api/v1/roles`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
      assert.equal(foreign.headers.get('access-control-allow-origin'), null, origin);
      const read = await fetch(`${provider.url}/api/v1/roles`, {
        headers: { origin, authorization: `Bearer ${token}` },
      });
      assert.equal(read.headers.get('access-control-allow-origin'), null, origin);
    }
  });
});
