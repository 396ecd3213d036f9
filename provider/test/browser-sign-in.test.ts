import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { repositoryRoot } from '@usher/platform';
import { createTestStores, launchChromium, type TestStores } from '@usher/test-support';
import { type RunningProvider, startProvider } from './harness.ts';
import { createUser, discover, filmsResource } from './fixtures.ts';

const artifacts = path.join(repositoryRoot, 'test-artifacts', 'provider');

describe('a real sign-in in Chromium', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let browser: Browser;
  let callbackServer: Server;
  let callbackUrl: string;
  const received: string[] = [];

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores);
    await provider.built.domain.resources.upsert(filmsResource, 'Films');
    callbackServer = createServer((req, res) => {
      received.push(req.url ?? '');
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Cinema</title><h1>Back at the cinema</h1>');
    });
    await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(callbackServer.address() as { port: number }).port}/callback`;
    browser = await launchChromium();
    await mkdir(artifacts, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    callbackServer?.close();
    await provider?.stop();
    await stores?.dispose();
  });

  test('a user signs in with email and password and the client gets tokens for that user', async () => {
    const user = await createUser(provider, { roles: ['subscriber'] });
    const client = await provider.built.domain.clients.create({
      client_name: 'Cinema web',
      redirect_uris: [callbackUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      first_party: true,
    });
    const config = await discover(provider, client.client_id);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: callbackUrl,
      scope: 'openid email',
      resource: filmsResource,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });

    const page = await browser.newPage();
    await page.goto(url.toString());
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.screenshot({ path: path.join(artifacts, 'sign-in.png'), fullPage: true });
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.equal((await page.getByRole('alert').textContent())?.trim(), 'Incorrect email or password.');
    await page.screenshot({ path: path.join(artifacts, 'sign-in-error.png'), fullPage: true });
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((current) => current.toString().startsWith(callbackUrl));
    const landed = page.url();
    await page.close();

    assert.equal(received.filter((path) => path.startsWith('/callback')).length, 1);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(landed), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    assert.equal(tokens.claims()?.sub, user.id);
    const { decodeJwt } = await import('jose');
    assert.ok((decodeJwt(tokens.access_token).permissions as string[]).includes('pro_read'));
    const cookies = await browser.contexts()[0]?.cookies();
    for (const cookie of cookies ?? []) {
      if (cookie.name.startsWith('_session') || cookie.name.startsWith('usher.csrf')) {
        assert.equal(cookie.httpOnly, true, `${cookie.name} is HttpOnly`);
        assert.equal(cookie.sameSite, 'Lax', `${cookie.name} is SameSite=Lax`);
      }
    }
  });

  test('a new user registers in the browser, with the password rules explained next to the field', async () => {
    const client = await provider.built.domain.clients.create({
      client_name: 'Cinema web',
      redirect_uris: [callbackUrl],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      first_party: true,
    });
    const config = await discover(provider, client.client_id);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: callbackUrl,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url.toString());
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await page.getByLabel('Email').fill('viewer@example.com');
    await page.getByLabel('Password').fill('12345678');
    await page.getByRole('button', { name: 'Create account' }).click();
    const error = page.locator('#field-password-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /too common/);
    assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');
    await page.screenshot({ path: path.join(artifacts, 'register-error.png'), fullPage: true });
    await page.getByLabel('Password').fill('popcorn and a late show');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((current) => current.toString().startsWith(callbackUrl));
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier });
    const row = await provider.db.knex('users').where({ email: 'viewer@example.com' }).first();
    assert.equal(tokens.claims()?.sub, row.id);
    await context.close();
  });
});
