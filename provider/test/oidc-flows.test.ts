import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';
import { registerUser } from '../src/accounts/registration.ts';
import { type RunningProvider, startProvider } from './harness.ts';
import { createTestStores, type TestStores } from '@usher/test-support';
import { callbackUrl, createUser, createWebClient, discover, filmsResource, signIn } from './fixtures.ts';

describe('OpenID Connect flows with openid-client as the relying party', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let client: { client_id: string; client_secret?: string };
  let config: oidc.Configuration;
  let user: { id: string; email: string; password: string };

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores);
    await provider.built.domain.resources.create(filmsResource, 'Films');
    client = await createWebClient(provider);
    config = await discover(provider, client.client_id, client.client_secret);
    user = await createUser(provider, { roles: ['subscriber'] });
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  test('discovery and JWKS publish the active and the next keys', async () => {
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, provider.url);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    const jwks = (await (await fetch(metadata.jwks_uri!)).json()) as {
      keys: { kid: string; alg: string; d?: string }[];
    };
    const published = await provider.built.domain.keys.published();
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), published.map((k) => k.kid).sort());
    assert.ok(
      jwks.keys.every((k) => k.d === undefined),
      'no private parts in JWKS',
    );
    assert.ok(published.some((k) => k.status === 'next' && k.alg === 'RS256'));
    assert.ok(published.some((k) => k.status === 'next' && k.alg === 'ES256'));
  });

  test('authorization code + PKCE signs in and the ID token names the user', async () => {
    const { tokens } = await signIn(provider, config, user);
    const claims = tokens.claims()!;
    assert.equal(claims.sub, user.id);
    // conformIdTokenClaims: profile and email claims travel through userinfo when an access token is issued.
    assert.equal(claims.email, undefined);
    assert.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256');
    const active = (await provider.built.domain.keys.published()).find(
      (k) => k.alg === 'RS256' && k.status === 'active',
    );
    assert.equal(decodeProtectedHeader(tokens.id_token!).kid, active!.kid);
    const info = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    assert.equal(info.email, user.email);
    assert.equal(info.email_verified, false);
  });

  test('the profile scope gives the name claim, built from the first and last names', async () => {
    const named = await registerUser(
      provider.built.domain,
      { email: 'ada@example.com', password: 'correct horse named', firstName: 'Ada', lastName: 'Lovelace' },
      'test',
    );
    const { tokens } = await signIn(provider, config, { email: 'ada@example.com', password: 'correct horse named' });
    // conformIdTokenClaims: with an access token issued, profile claims come from userinfo only.
    assert.equal(tokens.claims()!.name, undefined);
    const info = await oidc.fetchUserInfo(config, tokens.access_token, named.id);
    assert.equal(info.name, 'Ada Lovelace');
    assert.equal(info.given_name, 'Ada');
    assert.equal(info.family_name, 'Lovelace');
    // Without the profile scope, no name.
    const { tokens: narrow } = await signIn(
      provider,
      config,
      { email: 'ada@example.com', password: 'correct horse named' },
      { scope: 'openid email' },
    );
    const narrowInfo = await oidc.fetchUserInfo(config, narrow.access_token, named.id);
    assert.equal(narrowInfo.name, undefined);
    assert.equal(narrowInfo.email, 'ada@example.com');
  });

  test('an access token for a resource server is an RFC 9068 JWT with roles and permissions', async () => {
    const { tokens } = await signIn(provider, config, user, { resource: filmsResource });
    const header = decodeProtectedHeader(tokens.access_token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    const payload = decodeJwt(tokens.access_token);
    assert.equal(payload.aud, filmsResource);
    assert.equal(payload.sub, user.id);
    assert.equal(payload.iss, provider.url);
    assert.deepEqual(payload.roles, ['subscriber', 'user']);
    assert.ok((payload.permissions as string[]).includes('pro_read'));
    assert.ok((payload.permissions as string[]).includes('can_view_file'));
    assert.ok(payload.exp! - payload.iat! === 30 * 60);
  });

  test('a permission bound to another resource stays out of this resource’s token; global ones are in', async () => {
    const musicResource = 'http://music.test';
    await provider.built.domain.resources.create(musicResource, 'Music');
    const { access } = provider.built.domain;
    await access.createPermission({ name: 'music:play', resource: musicResource });
    await access.createPermission({ name: 'films:rate', resource: filmsResource });
    await access.createPermission({ name: 'everywhere:read' });
    const listener = await createUser(provider);
    for (const name of ['music:play', 'films:rate', 'everywhere:read']) {
      await access.grantPermissionToUser(listener.id, name);
    }
    const permissionsFor = async (resource: string) => {
      const { tokens } = await signIn(provider, config, listener, { resource });
      const payload = decodeJwt(tokens.access_token);
      assert.equal(payload.aud, resource);
      return payload.permissions as string[];
    };
    const films = await permissionsFor(filmsResource);
    assert.ok(!films.includes('music:play'), 'bound to the music resource');
    assert.ok(films.includes('films:rate'));
    assert.ok(films.includes('everywhere:read'));
    assert.ok(films.includes('can_view_file'), 'global permissions of the user role');
    const music = await permissionsFor(musicResource);
    assert.ok(music.includes('music:play'));
    assert.ok(!music.includes('films:rate'));
    assert.ok(music.includes('everywhere:read'));
  });

  test('refresh tokens rotate, and reusing an old one revokes the whole grant', async () => {
    const { tokens } = await signIn(provider, config, user, { resource: filmsResource });
    const first = tokens.refresh_token!;
    assert.ok(first, 'a refresh token is issued');
    const second = await oidc.refreshTokenGrant(config, first, { resource: filmsResource });
    assert.ok(second.refresh_token && second.refresh_token !== first, 'rotated');
    assert.equal(decodeJwt(second.access_token).aud, filmsResource);
    // Within the reuse interval the immediately previous token stands for its successor
    // (refresh-rotation.test.ts); one more rotation makes `first` an older ancestor.
    const third = await oidc.refreshTokenGrant(config, second.refresh_token!, { resource: filmsResource });
    await assert.rejects(
      oidc.refreshTokenGrant(config, first),
      (error: oidc.ResponseBodyError) => error.error === 'invalid_grant',
    );
    // The reuse revoked the grant: the newest refresh token is dead too.
    await assert.rejects(
      oidc.refreshTokenGrant(config, third.refresh_token!),
      (error: oidc.ResponseBodyError) => error.error === 'invalid_grant',
    );
  });

  test('the authorization code cannot be replayed', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const { agent } = await signIn(provider, config, user);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: callbackUrl,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const { url: callback } = await agent.follow(url.toString(), provider.url);
    assert.ok(callback.startsWith(callbackUrl), 'existing session signs in without a form');
    await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, idTokenExpected: true });
    await assert.rejects(
      oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier }),
      (error: oidc.ResponseBodyError) => error.error === 'invalid_grant',
    );
  });

  test('client credentials with only a resource parameter get a JWT with the client’s permissions', async () => {
    const machine = await provider.built.domain.clients.create({
      client_name: 'Films importer',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    });
    await provider.built.domain.access.grantPermissionToClient(machine.client_id, 'pro_read');
    const machineConfig = await discover(
      provider,
      machine.client_id,
      machine.client_secret!,
      oidc.ClientSecretPost(machine.client_secret!),
    );
    const tokens = await oidc.clientCredentialsGrant(machineConfig, { resource: filmsResource });
    const payload = decodeJwt(tokens.access_token);
    assert.equal(payload.sub, machine.client_id);
    assert.equal(payload.aud, filmsResource);
    assert.deepEqual(payload.permissions, ['pro_read']);
    assert.deepEqual(payload.roles, []);
    const wrong = await discover(
      provider,
      machine.client_id,
      'not-the-secret',
      oidc.ClientSecretPost('not-the-secret'),
    );
    await assert.rejects(
      oidc.clientCredentialsGrant(wrong, { resource: filmsResource }),
      (error: oidc.ResponseBodyError) => {
        assert.equal(error.error, 'invalid_client');
        assert.equal(error.status, 401);
        return true;
      },
    );
    await assert.rejects(
      oidc.clientCredentialsGrant(machineConfig, { resource: 'http://unknown.test' }),
      (error: oidc.ResponseBodyError) => error.error === 'invalid_target',
    );
  });

  test('device authorization: a TV signs in through the code entry page', async () => {
    const tv = await provider.built.domain.clients.create({
      client_name: 'Living-room TV',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      first_party: true,
    });
    const tvConfig = await discover(provider, tv.client_id);
    const device = await oidc.initiateDeviceAuthorization(tvConfig, { scope: 'openid email', resource: filmsResource });
    assert.match(device.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
    const { UserAgent, readForm } = await import('@usher/test-support');
    const agent = new UserAgent();
    // The user signs in on a phone first, then enters the code.
    await signIn(provider, config, user, {}, agent);
    const entry = await (await agent.request(device.verification_uri)).text();
    const form = readForm(entry);
    const { response } = await agent.submit(form.action, provider.url, { ...form.fields, user_code: device.user_code });
    const confirm = await response.text();
    assert.match(confirm, /Living-room TV/);
    const confirmForm = readForm(confirm);
    const done = await agent.submit(confirmForm.action, provider.url, confirmForm.fields);
    assert.match(await done.response.text(), /Device connected/);
    const tokens = await oidc.pollDeviceAuthorizationGrant(tvConfig, {
      ...device,
      interval: 0.2,
    } as oidc.DeviceAuthorizationResponse);
    assert.equal(tokens.claims()!.sub, user.id);
    assert.equal(decodeJwt(tokens.access_token).aud, filmsResource);
  });

  test('introspection and revocation of opaque access and refresh tokens', async () => {
    const { tokens } = await signIn(provider, config, user);
    const active = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(active.active, true);
    assert.equal(active.sub, user.id);
    const refresh = await oidc.tokenIntrospection(config, tokens.refresh_token!);
    assert.equal(refresh.active, true);
    await oidc.tokenRevocation(config, tokens.access_token);
    assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
    await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, user.id));
    await oidc.tokenRevocation(config, tokens.refresh_token!);
    await assert.rejects(
      oidc.refreshTokenGrant(config, tokens.refresh_token!),
      (error: oidc.ResponseBodyError) => error.error === 'invalid_grant',
    );
  });

  test('introspection of JWT access tokens: claims while live, inactive once revoked or tampered', async () => {
    const { tokens } = await signIn(provider, config, user, { resource: filmsResource });
    const live = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(live.active, true);
    assert.equal(live.sub, user.id);
    assert.equal(live.aud, filmsResource);
    assert.equal(live.client_id, client.client_id);
    assert.ok((live.permissions as string[]).includes('pro_read'));
    const [header, payload, signature] = tokens.access_token.split('.');
    const tampered = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`;
    assert.deepEqual(await oidc.tokenIntrospection(config, tampered), { active: false });
    assert.deepEqual(await oidc.tokenIntrospection(config, 'not.a.jwt'), { active: false });
    await oidc.tokenRevocation(config, tokens.access_token);
    assert.deepEqual(await oidc.tokenIntrospection(config, tokens.access_token), { active: false });
    const wrongSecret = await discover(provider, client.client_id, 'not the secret');
    await assert.rejects(
      oidc.tokenIntrospection(wrongSecret, tokens.access_token),
      (error: oidc.WWWAuthenticateChallengeError) => error.status === 401,
    );
  });

  test('RP-initiated logout ends the session after confirmation, and its tokens are revoked', async () => {
    const { tokens, agent } = await signIn(provider, config, user, { resource: filmsResource });
    const sid = decodeJwt(tokens.access_token).sid as string;
    assert.ok(sid, 'resource-server tokens name their session');
    const url = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://127.0.0.1:9/signed-out',
      state: 'bye',
    });
    const { response } = await agent.follow(url.toString(), provider.url);
    const page = await response.text();
    assert.match(page, /Sign out\?/);
    const { readForm } = await import('@usher/test-support');
    const form = readForm(page);
    const { url: landed } = await agent.submit(form.action, provider.url, { ...form.fields, logout: 'yes' });
    assert.equal(landed, 'http://127.0.0.1:9/signed-out?state=bye');
    const event = await provider.db.knex('security_events').where({ session_id: sid }).first();
    assert.equal(event?.event_type, 'https://schemas.openid.net/secevent/caep/event-type/session-revoked');
    assert.equal(event?.subject, user.id);
    // With the session gone, a new authorization shows the sign-in form again.
    const again = oidc.buildAuthorizationUrl(config, {
      redirect_uri: callbackUrl,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const { response: signInPage } = await agent.follow(again.toString(), provider.url);
    assert.match(await signInPage.text(), /<h1 id="page-title">Sign in<\/h1>/);
  });

  test('a sign-out whose revocation event cannot be recorded does not end the session (one transaction)', async () => {
    const { tokens, agent } = await signIn(provider, config, user, { resource: filmsResource });
    const sid = decodeJwt(tokens.access_token).sid as string;
    const sessionRow = () => provider.db.knex('oidc_payloads').where({ model: 'Session', uid: sid }).first();
    assert.ok(await sessionRow(), 'the session is stored');
    const knex = provider.db.knex;
    await knex.raw(
      `CREATE OR REPLACE FUNCTION refuse_security_events() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'security events refused by the test'; END $$ LANGUAGE plpgsql`,
    );
    await knex.raw(
      'CREATE TRIGGER refuse_security_events BEFORE INSERT ON security_events FOR EACH ROW EXECUTE FUNCTION refuse_security_events()',
    );
    const { readForm } = await import('@usher/test-support');
    const confirm = async () => {
      const url = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! });
      const form = readForm(await (await agent.follow(url.toString(), provider.url)).response.text());
      return agent.submit(form.action, provider.url, { ...form.fields, logout: 'yes' });
    };
    try {
      const failed = await confirm();
      assert.ok(failed.response.status >= 500, `status ${failed.response.status}`);
      assert.ok(await sessionRow(), 'the session survives a sign-out whose event was not recorded');
      assert.equal(await knex('security_events').where({ session_id: sid }).first(), undefined);
    } finally {
      await knex.raw('DROP TRIGGER refuse_security_events ON security_events');
      await knex.raw('DROP FUNCTION refuse_security_events()');
    }
    await confirm();
    assert.equal(await sessionRow(), undefined);
    assert.ok(await knex('security_events').where({ session_id: sid }).first(), 'recorded with the sign-out');
  });

  test('an expired refresh token is refused with invalid_grant', async () => {
    const short = await startProvider(stores, { REFRESH_TOKEN_TTL: '1' });
    try {
      const shortConfig = await discover(short, client.client_id, client.client_secret);
      const { tokens } = await signIn(short, shortConfig, user);
      assert.ok(tokens.refresh_token);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await assert.rejects(
        oidc.refreshTokenGrant(shortConfig, tokens.refresh_token),
        (error: oidc.ResponseBodyError) => {
          assert.equal(error.status, 400);
          assert.equal(error.error, 'invalid_grant');
          return true;
        },
      );
      assert.equal((await oidc.tokenIntrospection(shortConfig, tokens.refresh_token)).active, false);
    } finally {
      await short.stop();
    }
  });

  test('expired access tokens are refused at userinfo', async () => {
    const short = await startProvider(stores, { ACCESS_TOKEN_TTL: '1' });
    try {
      const shortConfig = await discover(short, client.client_id, client.client_secret);
      const { tokens } = await signIn(short, shortConfig, user);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await assert.rejects(
        oidc.fetchUserInfo(shortConfig, tokens.access_token, user.id),
        (error: oidc.WWWAuthenticateChallengeError) => {
          assert.equal(error.status, 401);
          return true;
        },
      );
      assert.equal((await oidc.tokenIntrospection(shortConfig, tokens.access_token)).active, false);
    } finally {
      await short.stop();
    }
  });
});
