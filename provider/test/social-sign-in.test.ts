import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ConfigError, repositoryRoot } from '@usher/platform';
import { loadProviderConfig } from '../src/config.ts';
import { createUser, discover, filmsResource } from './fixtures.ts';
import { GoogleStandIn, type GoogleAccount } from './google-stand-in.ts';
import { createTestStores, launchChromium, pastClaimsCache, type TestStores } from '@usher/test-support';
import { type RunningProvider, startProvider } from './harness.ts';
import { UpstreamProxy } from './upstream-proxy.ts';

const artifacts = path.join(repositoryRoot, 'test-artifacts', 'provider');
const upstreamTimeoutMs = 1500;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('config of social sign-in', () => {
  const fails = (env: Record<string, string>, variable: string) => {
    assert.throws(
      () => loadProviderConfig(env),
      (error: unknown) => error instanceof ConfigError && error.message.includes(variable),
      `expected a ConfigError naming ${variable}`,
    );
  };

  test('a bad upstream setting stops start-up and names the variable', () => {
    fails({ USHER_OIDC_UPSTREAMS: 'not json' }, 'USHER_OIDC_UPSTREAMS');
    fails(
      { USHER_OIDC_UPSTREAMS: '[{"id":"acme","name":"Acme","client_id":"a","client_secret":"b"}]' },
      'USHER_OIDC_UPSTREAMS.0.issuer',
    );
    fails(
      {
        USHER_OIDC_UPSTREAMS:
          '[{"id":"google","name":"G","issuer":"https://g.test","client_id":"a","client_secret":"b"}]',
      },
      'USHER_OIDC_UPSTREAMS.0.id',
    );
    fails({ GOOGLE_CLIENT_ID: 'only-the-id' }, 'GOOGLE_CLIENT_SECRET');
    fails({ GOOGLE_TOKEN_URL: 'ftp://example.com/token' }, 'GOOGLE_TOKEN_URL');
    fails({ UPSTREAM_TIMEOUT_MS: 'soon' }, 'UPSTREAM_TIMEOUT_MS');
  });

  test('Google endpoints default to Google and upstreams parse with their defaults', () => {
    const config = loadProviderConfig({
      USHER_OIDC_UPSTREAMS:
        '[{"id":"acme","name":"Acme","issuer":"https://id.acme.test","client_id":"a","client_secret":"b"}]',
    });
    assert.equal(config.GOOGLE_AUTHORIZATION_URL, 'https://accounts.google.com/o/oauth2/v2/auth');
    assert.equal(config.GOOGLE_TOKEN_URL, 'https://oauth2.googleapis.com/token');
    assert.equal(config.GOOGLE_USERINFO_URL, 'https://openidconnect.googleapis.com/v1/userinfo');
    assert.equal(config.UPSTREAM_TIMEOUT_MS, 5000);
    assert.equal(config.USHER_OIDC_UPSTREAMS?.[0]?.token_endpoint_auth_method, 'client_secret_basic');
  });
});

describe('social sign-in in Chromium: Google (stand-in) and a generic OpenID Connect upstream (a second Usher)', () => {
  let stores: TestStores;
  let upstreamStores: TestStores;
  let provider: RunningProvider;
  let upstream: RunningProvider;
  let google: GoogleStandIn;
  let proxy: UpstreamProxy;
  let browser: Browser;
  let callbackServer: Server;
  let callbackUrl: string;
  let rp: oidc.Configuration;
  const upstreamClient = { id: 'usher-primary', secret: randomBytes(24).toString('base64url') };

  before(async () => {
    google = new GoogleStandIn();
    await google.start();
    proxy = new UpstreamProxy();
    await proxy.start();
    upstreamStores = await createTestStores();
    // The upstream's issuer is the proxy, which forwards to wherever the upstream listens.
    upstream = await startProvider(upstreamStores, { ISSUER: proxy.url });
    proxy.targetPort = upstream.config.PORT;
    const offlinePort = await freePort();
    stores = await createTestStores();
    provider = await startProvider(stores, {
      ...google.endpoints(),
      USHER_OIDC_UPSTREAMS: JSON.stringify([
        {
          id: 'cinema-id',
          name: 'Cinema ID',
          issuer: proxy.url,
          client_id: upstreamClient.id,
          client_secret: upstreamClient.secret,
        },
        {
          // The same issuer under another id: its discovery happens only when a test asks for it.
          id: 'late-id',
          name: 'Late ID',
          issuer: proxy.url,
          client_id: upstreamClient.id,
          client_secret: upstreamClient.secret,
        },
        {
          id: 'offline',
          name: 'Offline ID',
          issuer: `http://127.0.0.1:${offlinePort}`,
          client_id: 'x',
          client_secret: 'y',
        },
      ]),
      UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs),
    });
    google.redirectUri = `${provider.url}/interaction/upstream/google/callback`;
    await upstream.built.domain.clients.create({
      client_id: upstreamClient.id,
      client_secret: upstreamClient.secret,
      client_name: 'Usher',
      redirect_uris: [`${provider.url}/interaction/upstream/cinema-id/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      first_party: true,
    });
    await provider.built.domain.resources.upsert(filmsResource, 'Films');
    callbackServer = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Cinema</title><h1>Back at the cinema</h1>');
    });
    await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(callbackServer.address() as { port: number }).port}/callback`;
    const client = await provider.built.domain.clients.create({
      client_name: 'Cinema web',
      redirect_uris: [callbackUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      first_party: true,
    });
    rp = await discover(provider, client.client_id);
    browser = await launchChromium();
    await mkdir(artifacts, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    callbackServer?.close();
    await provider?.stop();
    await upstream?.stop();
    await proxy?.stop();
    await google?.stop();
    await stores?.dispose();
    await upstreamStores?.dispose();
  });

  // --- helpers -------------------------------------------------------------------------------------

  interface Flow {
    page: Page;
    verifier: string;
    state: string;
  }

  /** The cinema's web app sends the browser to Usher's sign-in page (code + PKCE, films audience). */
  async function beginSignIn(context: BrowserContext, params: Record<string, string> = {}): Promise<Flow> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: callbackUrl,
      scope: 'openid email profile',
      resource: filmsResource,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...params,
    });
    const page = await context.newPage();
    await page.goto(url.toString());
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    return { page, verifier, state };
  }

  /** The browser lands back at the cinema; the cinema redeems the code as a relying party. */
  async function tokensOf(flow: Flow) {
    await flow.page.waitForURL((current) => current.toString().startsWith(callbackUrl));
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(flow.page.url()), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    const access = decodeJwt(tokens.access_token) as { sub: string; roles: string[]; permissions: string[] };
    return { sub: tokens.claims()?.sub, access };
  }

  async function continueWithGoogle(page: Page) {
    await page.getByRole('link', { name: 'Sign in with Google' }).click();
    await page.getByRole('heading', { name: 'Choose an account' }).waitFor();
    await page.getByRole('button', { name: /^Continue as/ }).click();
  }

  async function signInAtUpstream(
    page: Page,
    user: { email: string; password: string },
    button = 'Sign in with Cinema ID',
  ) {
    await page.getByRole('link', { name: button }).click();
    await page.waitForURL((current) => current.toString().startsWith(proxy.url));
    await submitPassword(page, user);
  }

  /** Fills and sends a password sign-in form (ours, or the upstream Usher's, which is the same page). */
  async function submitPassword(page: Page, user: { email: string; password: string }) {
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function alertOf(page: Page): Promise<string> {
    const alert = page.getByRole('alert');
    await alert.waitFor();
    return (await alert.textContent())?.trim() ?? '';
  }

  const newGoogleAccount = (overrides: Partial<GoogleAccount> = {}): GoogleAccount => {
    const tag = randomBytes(4).toString('hex');
    return {
      sub: String(100_000_000_000_000_000n + BigInt(`0x${tag}`)),
      email: `ada.${tag}@gmail.com`,
      email_verified: true,
      name: 'Ada Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      picture: `https://lh3.googleusercontent.com/a/${tag}=s96-c`,
      ...overrides,
    };
  };

  /** An account at the upstream Usher, with its email verified unless told otherwise. */
  async function upstreamUser(options: { email?: string; verified?: boolean } = {}) {
    const user = await createUser(upstream, options.email ? { email: options.email } : {});
    if (options.verified !== false)
      await upstream.db.knex('users').where({ id: user.id }).update({ email_verified: true });
    return user;
  }

  const count = async (table: string, where: Record<string, unknown>) =>
    Number(((await provider.db.knex(table).where(where).count({ n: '*' })) as { n: string | number }[])[0]!.n);
  const usersWithEmail = async (email: string) =>
    Number(
      (
        (await provider.db.knex('users').whereRaw('lower(email) = lower(?)', [email]).count({ n: '*' })) as {
          n: string | number;
        }[]
      )[0]!.n,
    );
  const total = async (table: 'users' | 'identities') =>
    Number(((await provider.db.knex(table).count({ n: '*' })) as { n: string | number }[])[0]!.n);
  /** Runs `work` and asserts it changed no account: as many users and identities after as before. */
  async function changesNoAccount(work: () => Promise<void>) {
    const before = [await total('users'), await total('identities')];
    await work();
    assert.deepEqual([await total('users'), await total('identities')], before, 'no account or identity changed');
  }
  const uidOf = (page: Page) => /^\/interaction\/([^/]+)$/.exec(new URL(page.url()).pathname)![1]!;
  const tokenRequestsAtUpstream = () =>
    proxy.requests.filter((proxied) => proxied.method === 'POST' && proxied.path === '/token');
  const signInMetric = async (method: string, result: string) => {
    const text = await (await fetch(`${provider.url}/metrics`)).text();
    const line = new RegExp(
      `^usher_sign_ins_total\\{method="${method}",result="${result}",service="provider"\\} (\\d+)$`,
      'm',
    ).exec(text);
    return Number(line?.[1] ?? 0);
  };
  const lastAttempt = async (method: string) =>
    (await provider.db.knex('sign_in_attempts').where({ method }).orderBy('created_at', 'desc').first()) as {
      user_id: string | null;
      result: string;
    };

  // --- Google ----------------------------------------------------------------------------------------

  test('Google, new user: an account and an identity are created from the verified profile; tokens carry its sub, roles and permissions', async () => {
    google.behaviour = 'normal';
    const account = newGoogleAccount();
    google.account = account;
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    await flow.page.screenshot({ path: path.join(artifacts, 'social-sign-in.png'), fullPage: true });
    assert.deepEqual(await flow.page.locator('.upstreams a').allTextContents(), [
      'Sign in with Google',
      'Sign in with Cinema ID',
      'Sign in with Late ID',
      'Sign in with Offline ID',
    ]);
    await continueWithGoogle(flow.page);
    const { sub, access } = await tokensOf(flow);
    await context.close();

    const user = await provider.db.knex('users').whereRaw('lower(email) = lower(?)', [account.email!]).first();
    assert.ok(user, 'an account was created');
    assert.equal(sub, user.id);
    assert.equal(access.sub, user.id);
    assert.ok(access.roles.includes('user'), 'a new account gets the default role');
    assert.ok(access.permissions.includes('can_view_file'));
    assert.ok(!access.permissions.includes('pro_read'));
    assert.equal(user.email_verified, true);
    assert.equal(user.first_name, 'Ada');
    assert.equal(user.last_name, 'Lovelace');
    assert.equal(user.picture, account.picture);
    assert.equal(user.password_hash, null);
    const identity = await provider.db.knex('identities').where({ provider: 'google', subject: account.sub }).first();
    assert.equal(identity.user_id, user.id);
    assert.equal(identity.email_verified, true);

    // State and PKCE (S256) on the way out, the verifier and client authentication on the way back.
    const request = google.authorizationRequests.at(-1)!;
    assert.match(request.get('state') ?? '', /^[\w-]{43}$/);
    assert.equal(request.get('code_challenge_method'), 'S256');
    const { params } = google.tokenRequests.at(-1)!;
    assert.equal(
      createHash('sha256').update(params.get('code_verifier')!).digest('base64url'),
      request.get('code_challenge') ?? undefined,
    );
    assert.equal(params.get('client_secret'), google.clientSecret);
    assert.equal(params.get('redirect_uri'), google.redirectUri);

    const attempt = await lastAttempt('google');
    assert.deepEqual([attempt.user_id, attempt.result], [user.id, 'success']);
    const metrics = await (await fetch(`${provider.url}/metrics`)).text();
    assert.match(metrics, /usher_sign_ins_total\{method="google",result="success",service="provider"\} [1-9]/);
  });

  test('Google, returning user: found by subject, even after the email changed at Google; nothing new is created', async () => {
    const account = newGoogleAccount();
    google.account = account;
    let context = await browser.newContext();
    let flow = await beginSignIn(context);
    await continueWithGoogle(flow.page);
    const first = await tokensOf(flow);
    await context.close();
    assert.ok(!first.access.permissions.includes('pro_read'));
    // Roles granted since the first sign-in show in the next token: it is that account's.
    await provider.built.domain.access.grantRoleToUser(first.sub!, 'subscriber');
    await pastClaimsCache();

    google.account = { ...account, email: `changed.${account.email}` };
    context = await browser.newContext();
    flow = await beginSignIn(context);
    await continueWithGoogle(flow.page);
    const second = await tokensOf(flow);
    await context.close();

    assert.equal(second.sub, first.sub);
    assert.equal(second.access.sub, first.sub);
    assert.deepEqual([...second.access.roles].sort(), ['subscriber', 'user']);
    assert.ok(second.access.permissions.includes('pro_read'));
    assert.ok(second.access.permissions.includes('can_view_file'));
    assert.equal(await usersWithEmail(`changed.${account.email}`), 0, 'no account by the new email');
    assert.equal(await count('identities', { provider: 'google', subject: account.sub }), 1);
    const identity = await provider.db.knex('identities').where({ provider: 'google', subject: account.sub }).first();
    assert.equal(identity.email, `changed.${account.email}`, 'the identity remembers what Google says now');
  });

  test('Google, email of a password account: linked only after the password proves the account', async () => {
    const existing = await createUser(provider, { roles: ['subscriber'] });
    const account = newGoogleAccount({ email: existing.email.toUpperCase() });
    google.account = account;
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    await continueWithGoogle(flow.page);
    await flow.page.getByRole('heading', { name: 'Link your Google account' }).waitFor();
    assert.equal(await count('identities', { subject: account.sub }), 0, 'nothing is linked before the proof');
    await flow.page.screenshot({ path: path.join(artifacts, 'social-link-account.png'), fullPage: true });
    await flow.page.getByLabel('Password').fill('not the password');
    await flow.page.getByRole('button', { name: 'Link and sign in' }).click();
    assert.equal(await alertOf(flow.page), 'Incorrect password.');
    assert.equal(await count('identities', { subject: account.sub }), 0);
    await flow.page.getByLabel('Password').fill(existing.password);
    await flow.page.getByRole('button', { name: 'Link and sign in' }).click();
    const { sub, access } = await tokensOf(flow);
    await context.close();

    assert.equal(sub, existing.id);
    assert.ok(access.roles.includes('subscriber'));
    assert.ok(access.permissions.includes('pro_read'));
    assert.equal(await usersWithEmail(existing.email), 1);
    const identity = await provider.db.knex('identities').where({ provider: 'google', subject: account.sub }).first();
    assert.equal(identity.user_id, existing.id);
  });

  test('Google, already signed in to the account with that email: linked without asking again', async () => {
    const existing = await createUser(provider);
    const context = await browser.newContext();
    let flow = await beginSignIn(context);
    await submitPassword(flow.page, existing);
    assert.equal((await tokensOf(flow)).sub, existing.id);

    const account = newGoogleAccount({ email: existing.email });
    google.account = account;
    flow = await beginSignIn(context, { prompt: 'login' });
    await continueWithGoogle(flow.page);
    const { sub } = await tokensOf(flow);
    await context.close();
    assert.equal(sub, existing.id);
    const identity = await provider.db.knex('identities').where({ provider: 'google', subject: account.sub }).first();
    assert.equal(identity.user_id, existing.id);
  });

  test('Google, unverified email of an existing account: refused, no account and no link', async () => {
    const existing = await createUser(provider);
    const account = newGoogleAccount({ email: existing.email, email_verified: false });
    google.account = account;
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    await continueWithGoogle(flow.page);
    assert.match(await alertOf(flow.page), /Google has not verified your email address/);
    await flow.page.screenshot({ path: path.join(artifacts, 'social-unverified.png'), fullPage: true });
    await context.close();
    assert.equal(await count('identities', { subject: account.sub }), 0);
    assert.equal(await usersWithEmail(existing.email), 1);
    assert.equal((await lastAttempt('google')).result, 'unverified_email');
  });

  test('Google, the user cancels: back on the sign-in page with a message, nothing created, the sign-in can go on', async () => {
    const account = newGoogleAccount();
    google.account = account;
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    await flow.page.getByRole('link', { name: 'Sign in with Google' }).click();
    await flow.page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(
      await alertOf(flow.page),
      'Signing in with Google was cancelled. Choose another way to sign in, or try again.',
    );
    assert.equal(await usersWithEmail(account.email!), 0);
    assert.equal((await lastAttempt('google')).result, 'cancelled');
    // The same answer again, while the interaction is still alive: its state was used up.
    assert.match(flow.page.url(), /\/interaction\/[^/]+\/upstream\/google\/return\?/);
    const replay = await flow.page.goto(flow.page.url());
    assert.equal(replay?.status(), 400);
    assert.match(await alertOf(flow.page), /has expired or was already used/);
    assert.equal((await lastAttempt('google')).result, 'state_mismatch');
    // The original request is still alive: signing in with a password completes it.
    const existing = await createUser(provider);
    await submitPassword(flow.page, existing);
    assert.equal((await tokensOf(flow)).sub, existing.id);
    await context.close();
  });

  test('Google, a tampered state and a replayed answer get a friendly page and change nothing', async () => {
    google.behaviour = 'wrong-state';
    const tampered = newGoogleAccount();
    google.account = tampered;
    const tokenCallsBefore = google.tokenRequests.length;
    let context = await browser.newContext();
    let flow = await beginSignIn(context);
    await continueWithGoogle(flow.page);
    await flow.page.getByRole('heading', { name: 'This sign-in has expired' }).waitFor();
    assert.match(await alertOf(flow.page), /has expired or was already used/);
    await context.close();
    assert.equal(await usersWithEmail(tampered.email!), 0);
    assert.equal(google.tokenRequests.length, tokenCallsBefore, 'the code of a tampered answer is never redeemed');

    google.behaviour = 'normal';
    const account = newGoogleAccount();
    google.account = account;
    context = await browser.newContext();
    flow = await beginSignIn(context);
    await continueWithGoogle(flow.page);
    await tokensOf(flow);
    const answer = google.redirects.at(-1)!;
    const tokenCalls = google.tokenRequests.length;
    const replay = await flow.page.goto(answer);
    assert.equal(replay?.status(), 400);
    await flow.page.getByRole('heading', { name: 'This sign-in has expired' }).waitFor();
    await context.close();
    assert.equal(google.tokenRequests.length, tokenCalls, 'a replayed code is never redeemed');
    assert.equal(await count('identities', { subject: account.sub }), 1);
    assert.equal(await usersWithEmail(account.email!), 1);
  });

  test('Google, slow, trickling, reset or refused: a timeout or an error page, nothing created', async () => {
    const cases = [
      { behaviour: 'slow-token', status: 504, expected: /Google did not answer in time/, result: 'upstream_timeout' },
      // Bytes keep coming, so the connection is never idle: only a deadline on the whole call ends it.
      {
        behaviour: 'trickle-token',
        status: 504,
        expected: /Google did not answer in time/,
        result: 'upstream_timeout',
      },
      { behaviour: 'reset-token', status: 502, expected: /Google could not complete/, result: 'upstream_error' },
      // Nothing listens at the token endpoint's host: the connection is refused.
      { behaviour: 'refused', status: 502, expected: /Google could not complete/, result: 'upstream_error' },
    ] as const;
    const timeoutsBefore = await signInMetric('google', 'upstream_timeout');
    const errorsBefore = await signInMetric('google', 'upstream_error');
    try {
      for (const { behaviour, status, expected, result } of cases) {
        if (behaviour === 'refused') await google.refuseTokenConnections();
        else google.behaviour = behaviour;
        google.delayMs = upstreamTimeoutMs * 3;
        const account = newGoogleAccount();
        google.account = account;
        const context = await browser.newContext();
        const flow = await beginSignIn(context);
        await changesNoAccount(async () => {
          const landing = flow.page.waitForResponse((response) => response.url().includes('/upstream/google/return'));
          const started = performance.now();
          await continueWithGoogle(flow.page);
          assert.equal((await landing).status(), status, behaviour);
          assert.match(await alertOf(flow.page), expected, behaviour);
          assert.ok(
            performance.now() - started < upstreamTimeoutMs * 2.5,
            `not kept waiting for Google (${behaviour})`,
          );
        });
        await context.close();
        assert.equal(await usersWithEmail(account.email!), 0);
        assert.equal((await lastAttempt('google')).result, result, behaviour);
        google.behaviour = 'normal';
        await google.acceptTokenConnections();
      }
    } finally {
      google.behaviour = 'normal';
      await google.acceptTokenConnections();
    }
    assert.equal(await signInMetric('google', 'upstream_timeout'), timeoutsBefore + 2);
    assert.equal(await signInMetric('google', 'upstream_error'), errorsBefore + 2);
  });

  test('Google, unverified email and no account with it: refused with a friendly page, nothing created', async () => {
    const account = newGoogleAccount({ email_verified: false });
    google.account = account;
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    await changesNoAccount(async () => {
      const landing = flow.page.waitForResponse((response) => response.url().includes('/upstream/google/return'));
      await continueWithGoogle(flow.page);
      assert.equal((await landing).status(), 403);
      assert.match(await alertOf(flow.page), /Google has not verified your email address/);
    });
    // Still the sign-in page of the same request: the password form remains.
    await flow.page.getByLabel('Password').waitFor();
    await context.close();
    assert.equal(await usersWithEmail(account.email!), 0);
    assert.equal(await count('identities', { subject: account.sub }), 0);
    assert.equal((await lastAttempt('google')).result, 'unverified_email');
  });

  test('Google, an answer taken to another interaction is refused, never redeemed, and used up', async () => {
    // Login CSRF: someone starts a sign-in in their browser and plants Google's answer in a victim's.
    google.account = newGoogleAccount();
    const attacker = await browser.newContext();
    const victim = await browser.newContext();
    const started = await beginSignIn(attacker);
    const attackerUid = uidOf(started.page);
    const target = await beginSignIn(victim);
    const victimUid = uidOf(target.page);
    // The attacker lets Google answer, but keeps the answer instead of following it back to Usher.
    await started.page.getByRole('link', { name: 'Sign in with Google' }).click();
    await started.page.getByRole('heading', { name: 'Choose an account' }).waitFor();
    const decision = await attacker.request.post(`${google.url}/o/oauth2/v2/auth/decision`, {
      form: { ...Object.fromEntries(google.authorizationRequests.at(-1)!), decision: 'allow' },
      maxRedirects: 0,
    });
    const location = new URL(decision.headers().location!);
    assert.equal(`${location.origin}${location.pathname}`, `${provider.url}/interaction/upstream/google/callback`);
    const answer = location.search;
    const returnTo = (uid: string) => `${provider.url}/interaction/${uid}/upstream/google/return${answer}`;
    const tokenCalls = google.tokenRequests.length;
    await changesNoAccount(async () => {
      const planted = await target.page.goto(returnTo(victimUid));
      assert.equal(planted?.status(), 400);
      assert.match(await alertOf(target.page), /has expired or was already used/);
      assert.equal((await lastAttempt('google')).result, 'state_mismatch');
      // That attempt used the state up: not even its own interaction can use it now.
      const own = await started.page.goto(returnTo(attackerUid));
      assert.equal(own?.status(), 400);
      assert.match(await alertOf(started.page), /has expired or was already used/);
    });
    await attacker.close();
    await victim.close();
    assert.equal(google.tokenRequests.length, tokenCalls, 'the code is never redeemed');
  });

  test('Google, no email in the profile: a message, nothing created', async () => {
    const account = newGoogleAccount();
    delete account.email;
    delete account.email_verified;
    google.account = account;
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    await continueWithGoogle(flow.page);
    assert.match(await alertOf(flow.page), /Google did not share an email address/);
    await context.close();
    assert.equal(await count('identities', { subject: account.sub }), 0);
    assert.equal((await lastAttempt('google')).result, 'no_email');
  });

  // --- Generic OpenID Connect upstream (a second Usher) -------------------------------------------

  test('OIDC upstream, new user then returning user: one account, found by (upstream, subject)', async () => {
    const person = await upstreamUser();
    let context = await browser.newContext();
    let flow = await beginSignIn(context);
    await flow.page.getByRole('link', { name: 'Sign in with Cinema ID' }).click();
    await flow.page.waitForURL((current) => current.toString().startsWith(proxy.url));
    // The upstream has no upstreams of its own: its sign-in page shows no such button.
    assert.equal(await flow.page.locator('.upstreams a').count(), 0);
    await flow.page.goBack();
    const tokenCalls = tokenRequestsAtUpstream().length;
    await signInAtUpstream(flow.page, person);
    const first = await tokensOf(flow);
    await context.close();

    // What the browser took to the upstream: state, nonce and a PKCE S256 challenge, fresh per flow...
    const [abandoned, used] = proxy.queries('/auth').slice(-2);
    for (const name of ['state', 'nonce', 'code_challenge']) {
      assert.match(used!.get(name) ?? '', /^[\w-]{43}$/, `${name} is sent`);
      assert.notEqual(used!.get(name), abandoned!.get(name), `${name} is new for each flow`);
    }
    assert.equal(used!.get('code_challenge_method'), 'S256');
    assert.equal(used!.get('redirect_uri'), `${provider.url}/interaction/upstream/cinema-id/callback`);
    // ...and what Usher sent to redeem the code: the verifier of that challenge, once.
    const redeemed = tokenRequestsAtUpstream().slice(tokenCalls);
    assert.equal(redeemed.length, 1);
    const token = new URLSearchParams(redeemed[0]!.body);
    assert.equal(token.get('grant_type'), 'authorization_code');
    assert.equal(
      createHash('sha256').update(token.get('code_verifier')!).digest('base64url'),
      used!.get('code_challenge'),
    );

    const user = await provider.db.knex('users').whereRaw('lower(email) = lower(?)', [person.email]).first();
    assert.equal(first.sub, user.id);
    assert.ok(first.access.roles.includes('user'));
    assert.ok(first.access.permissions.includes('can_view_file'));
    assert.equal(user.email_verified, true);
    const identity = await provider.db.knex('identities').where({ provider: 'cinema-id', subject: person.id }).first();
    assert.equal(identity.user_id, user.id);
    assert.equal((await lastAttempt('upstream')).result, 'success');
    assert.ok(!first.access.permissions.includes('pro_read'));
    await provider.built.domain.access.grantRoleToUser(first.sub!, 'trial');
    await pastClaimsCache();

    context = await browser.newContext();
    flow = await beginSignIn(context);
    await signInAtUpstream(flow.page, person);
    const second = await tokensOf(flow);
    await context.close();
    assert.equal(second.sub, first.sub);
    assert.equal(second.access.sub, first.sub);
    assert.deepEqual([...second.access.roles].sort(), ['trial', 'user']);
    assert.ok(second.access.permissions.includes('pro_read'));
    assert.equal(await usersWithEmail(person.email), 1);
  });

  test('OIDC upstream, email of a password account: linked after the password; unverified: refused', async () => {
    const existing = await createUser(provider, { roles: ['trial'] });
    const person = await upstreamUser({ email: existing.email });
    let context = await browser.newContext();
    let flow = await beginSignIn(context);
    await signInAtUpstream(flow.page, person);
    await flow.page.getByRole('heading', { name: 'Link your Cinema ID account' }).waitFor();
    await flow.page.getByLabel('Password').fill(existing.password);
    await flow.page.getByRole('button', { name: 'Link and sign in' }).click();
    const { sub, access } = await tokensOf(flow);
    await context.close();
    assert.equal(sub, existing.id);
    assert.ok(access.roles.includes('trial'));
    assert.ok(access.permissions.includes('pro_read'));
    assert.equal(
      (await provider.db.knex('identities').where({ provider: 'cinema-id', subject: person.id }).first()).user_id,
      existing.id,
    );

    const other = await createUser(provider);
    const unverified = await upstreamUser({ email: other.email, verified: false });
    context = await browser.newContext();
    flow = await beginSignIn(context);
    await signInAtUpstream(flow.page, unverified);
    assert.match(await alertOf(flow.page), /Cinema ID has not verified your email address/);
    await context.close();
    assert.equal(await count('identities', { provider: 'cinema-id', subject: unverified.id }), 0);
    assert.equal(await usersWithEmail(other.email), 1);
  });

  test('OIDC upstream, the user cancels at the upstream: a message, nothing created', async () => {
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    await flow.page.getByRole('link', { name: 'Sign in with Cinema ID' }).click();
    await flow.page.waitForURL((current) => current.toString().startsWith(proxy.url));
    assert.equal(proxy.queries('/auth').at(-1)?.get('client_id'), upstreamClient.id);
    const tokenCalls = tokenRequestsAtUpstream().length;
    await changesNoAccount(async () => {
      await flow.page.getByRole('button', { name: 'Cancel' }).click();
      assert.equal(
        await alertOf(flow.page),
        'Signing in with Cinema ID was cancelled. Choose another way to sign in, or try again.',
      );
    });
    assert.ok(flow.page.url().startsWith(provider.url));
    await context.close();
    assert.equal(tokenRequestsAtUpstream().length, tokenCalls, 'nothing to redeem');
    assert.equal((await lastAttempt('upstream')).result, 'cancelled');
  });

  test('OIDC upstream, a tampered state: a friendly page, the code is never redeemed, nothing created', async () => {
    const person = await upstreamUser();
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    const tokenCalls = tokenRequestsAtUpstream().length;
    proxy.tamperState = true;
    try {
      await changesNoAccount(async () => {
        const landing = flow.page.waitForResponse((response) =>
          response.url().startsWith(`${provider.url}/interaction/upstream/cinema-id/callback`),
        );
        await signInAtUpstream(flow.page, person);
        assert.equal((await landing).status(), 400);
        await flow.page.getByRole('heading', { name: 'This sign-in has expired' }).waitFor();
        assert.match(await alertOf(flow.page), /has expired or was already used/);
      });
    } finally {
      proxy.reset();
    }
    await context.close();
    assert.equal(tokenRequestsAtUpstream().length, tokenCalls, 'the code of a tampered answer is never redeemed');
    assert.equal((await lastAttempt('upstream')).result, 'state_mismatch');
  });

  test('OIDC upstream, already signed in to the account with that email: linked without asking again', async () => {
    const existing = await createUser(provider, { roles: ['subscriber'] });
    const person = await upstreamUser({ email: existing.email });
    const context = await browser.newContext();
    let flow = await beginSignIn(context);
    await submitPassword(flow.page, existing);
    assert.equal((await tokensOf(flow)).sub, existing.id);

    flow = await beginSignIn(context, { prompt: 'login' });
    await signInAtUpstream(flow.page, person);
    const { sub, access } = await tokensOf(flow);
    await context.close();
    assert.equal(sub, existing.id);
    assert.ok(access.roles.includes('subscriber'));
    assert.ok(access.permissions.includes('pro_read'));
    const identity = await provider.db.knex('identities').where({ provider: 'cinema-id', subject: person.id }).first();
    assert.equal(identity.user_id, existing.id);
    assert.equal(await usersWithEmail(existing.email), 1);
    assert.equal((await lastAttempt('upstream')).result, 'success');
  });

  test('OIDC upstream, a replayed answer gets a friendly page and changes nothing', async () => {
    const person = await upstreamUser();
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    const answers: string[] = [];
    flow.page.on('request', (request) => {
      if (request.url().startsWith(`${provider.url}/interaction/upstream/cinema-id/callback`))
        answers.push(request.url());
    });
    await signInAtUpstream(flow.page, person);
    const { sub } = await tokensOf(flow);
    assert.equal(answers.length, 1);
    const replay = await flow.page.goto(answers[0]!);
    assert.equal(replay?.status(), 400);
    await flow.page.getByRole('heading', { name: 'This sign-in has expired' }).waitFor();
    await context.close();
    assert.equal(await count('identities', { provider: 'cinema-id', user_id: sub }), 1);
    assert.equal(await usersWithEmail(person.email), 1);
  });

  test('OIDC upstream, slow, unreachable or without an email: a message on the sign-in page, nothing created', async () => {
    const cases = [
      {
        set: () => (proxy.delay = { path: /^\/token/, ms: upstreamTimeoutMs * 3 }),
        expected: /Cinema ID did not answer in time/,
        result: 'upstream_timeout',
      },
      // Userinfo answered one byte at a time: never idle, but over the deadline.
      {
        set: () => (proxy.trickle = /^\/me/),
        expected: /Cinema ID did not answer in time/,
        result: 'upstream_timeout',
      },
      { set: () => (proxy.drop = /^\/token/), expected: /Cinema ID could not complete/, result: 'upstream_error' },
      {
        set: () => (proxy.stripEmail = true),
        expected: /Cinema ID did not share an email address/,
        result: 'no_email',
      },
    ];
    try {
      for (const { set, expected, result } of cases) {
        const person = await upstreamUser();
        const context = await browser.newContext();
        const flow = await beginSignIn(context);
        set();
        await signInAtUpstream(flow.page, person);
        assert.match(await alertOf(flow.page), expected);
        proxy.reset();
        await context.close();
        assert.equal(await usersWithEmail(person.email), 0);
        assert.equal(await count('identities', { provider: 'cinema-id', subject: person.id }), 0);
        assert.equal((await lastAttempt('upstream')).result, result);
      }
    } finally {
      proxy.reset();
    }

    // Discovery that trickles: the timeout page; the failure is not remembered, so a later try works.
    const late = await browser.newContext();
    const lateFlow = await beginSignIn(late);
    proxy.trickle = /^\/\.well-known\/openid-configuration/;
    try {
      await changesNoAccount(async () => {
        const landing = lateFlow.page.waitForResponse((response) => response.url().endsWith('/upstream/late-id'));
        await lateFlow.page.getByRole('link', { name: 'Sign in with Late ID' }).click();
        assert.equal((await landing).status(), 504);
        assert.match(await alertOf(lateFlow.page), /Late ID did not answer in time/);
      });
      assert.equal((await lastAttempt('upstream')).result, 'upstream_timeout');
    } finally {
      proxy.reset();
    }
    await lateFlow.page.getByRole('link', { name: 'Sign in with Late ID' }).click();
    await lateFlow.page.waitForURL((current) => current.toString().startsWith(proxy.url));
    assert.equal(
      proxy.queries('/auth').at(-1)?.get('redirect_uri'),
      `${provider.url}/interaction/upstream/late-id/callback`,
    );
    await late.close();

    // An issuer that cannot even be discovered.
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    await flow.page.getByRole('link', { name: 'Sign in with Offline ID' }).click();
    assert.match(await alertOf(flow.page), /Offline ID could not complete the sign-in/);
    await context.close();
  });

  // --- Identities self-service ----------------------------------------------------------------------

  test('a signed-in user sees their identities, links another, unlinks one, and cannot unlink the last', async () => {
    const account = newGoogleAccount();
    google.account = account;
    const context = await browser.newContext();
    const flow = await beginSignIn(context);
    await continueWithGoogle(flow.page);
    const { sub } = await tokensOf(flow);

    const page = flow.page;
    await page.goto(`${provider.url}/account/identities`);
    await page.getByRole('heading', { name: 'Ways to sign in' }).waitFor();
    assert.match((await page.locator('main').textContent()) ?? '', /only way to sign in/);
    assert.equal(await page.getByRole('button', { name: 'Unlink Google' }).count(), 0);

    const person = await upstreamUser();
    await signInAtUpstream(page, person, 'Link Cinema ID');
    await page.getByText('Cinema ID is now linked.').waitFor();
    await page.screenshot({ path: path.join(artifacts, 'social-identities.png'), fullPage: true });
    const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
    await page.getByRole('button', { name: 'Unlink Google' }).click();
    await page.getByText('Google was unlinked.').waitFor();
    const left = await provider.db.knex('identities').where({ user_id: sub });
    assert.deepEqual(
      left.map((row: { provider: string }) => row.provider),
      ['cinema-id'],
    );

    // The last way to sign in cannot be unlinked, even by a hand-made form post.
    const last = await context.request.post(`${provider.url}/account/identities/${left[0].id}/unlink`, {
      form: { csrf: csrf! },
      maxRedirects: 0,
    });
    assert.equal(last.status(), 409);
    const forged = await context.request.post(`${provider.url}/account/identities/${left[0].id}/unlink`, {
      form: { csrf: 'forged' },
      maxRedirects: 0,
    });
    assert.equal(forged.status(), 403);
    assert.equal(await count('identities', { user_id: sub }), 1);
    await context.close();

    const stranger = await browser.newContext();
    const response = await (await stranger.newPage()).goto(`${provider.url}/account/identities`);
    assert.equal(response?.status(), 401);
    await stranger.close();

    // Secrets and codes stay out of the logs.
    const logs = provider.logs.text();
    assert.ok(!logs.includes(google.clientSecret), 'the Google client secret is never logged');
    assert.ok(!logs.includes(upstreamClient.secret), 'the upstream client secret is never logged');
  });
});
