import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { createTestStores, readForm, UserAgent, type TestStores } from '@usher/test-support';
import { startProvider, type RunningProvider } from './harness.ts';
import { callbackUrl, createUser, createWebClient, discover } from './fixtures.ts';

/** The browser's cookie jar, to plant a forged cookie in it. */
const jarOf = (agent: UserAgent) => (agent as unknown as { cookies: Map<string, string> }).cookies;

describe('device cookies: an attacker cannot lock the owner’s own browser out', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let config: oidc.Configuration;

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores, {
      TRUST_PROXY: 'true',
      RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '5',
      RATE_LIMIT_SIGNIN_FAILURES_PER_DEVICE: '3',
    });
    const client = await createWebClient(provider);
    config = await discover(provider, client.client_id, client.client_secret);
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  /**
   * One password sign-in through our pages (prompt=login, so a browser already signed in is asked
   * again), from `ip`. Answers the form post's own response and where the browser ends up.
   */
  async function attempt(agent: UserAgent, email: string, password: string, ip: string) {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: callbackUrl,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      prompt: 'login',
    });
    const { response: page } = await agent.follow(url.toString(), provider.url);
    assert.equal(page.status, 200);
    const form = readForm(await page.text());
    const action = new URL(form.action, provider.url).toString();
    const posted = await agent.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      body: new URLSearchParams({ ...form.fields, email, password }).toString(),
    });
    if (posted.status !== 303) {
      await posted.text();
      return { posted, signedIn: false };
    }
    const { url: reached } = await agent.follow(
      new URL(posted.headers.get('location')!, action).toString(),
      provider.url,
    );
    return { posted, signedIn: reached.startsWith(callbackUrl) };
  }

  /** Locks `email` for every browser without its device cookie: wrong passwords from many IPs. */
  async function lockAccount(email: string) {
    for (let n = 1; n <= 5; n += 1) {
      const { posted } = await attempt(new UserAgent(), email, `wrong password ${n}`, `203.0.113.${n}`);
      assert.equal(posted.status, 401);
    }
  }

  test('a successful sign-in sets a signed, HttpOnly, SameSite=Lax device cookie', async () => {
    const owner = await createUser(provider);
    const { posted, signedIn } = await attempt(new UserAgent(), owner.email, owner.password, '198.51.100.1');
    assert.ok(signedIn);
    const cookies = posted.headers.getSetCookie().filter((cookie) => cookie.startsWith('usher.device.'));
    assert.equal(cookies.length, 2, `the cookie and its signature: ${cookies.join(' | ')}`);
    for (const cookie of cookies) {
      assert.match(cookie, /; path=\/interaction\//);
      assert.match(cookie, /; httponly/i);
      assert.match(cookie, /; samesite=lax/i);
      assert.match(cookie, /; expires=/);
      assert.doesNotMatch(cookie, /; secure/i, 'plain http issuer');
    }
    assert.doesNotMatch(cookies.join(), new RegExp(owner.id), 'the cookie does not name the account');
  });

  test('failures from many IPs lock the account for new browsers, not for the owner’s own', async () => {
    const owner = await createUser(provider);
    const own = new UserAgent();
    assert.ok((await attempt(own, owner.email, owner.password, '198.51.100.2')).signedIn);
    await lockAccount(owner.email);

    const stranger = await attempt(new UserAgent(), owner.email, owner.password, '198.51.100.3');
    assert.equal(stranger.posted.status, 429, 'a browser without the device cookie meets the lockout');
    assert.ok(Number(stranger.posted.headers.get('retry-after')) > 0);

    const again = await attempt(own, owner.email, owner.password, '198.51.100.2');
    assert.equal(again.posted.status, 303, 'the owner’s browser keeps its own budget');
    assert.ok(again.signedIn);
  });

  test('a device that fails too often is locked out itself; the owner’s other devices are not', async () => {
    const owner = await createUser(provider);
    const [laptop, phone] = [new UserAgent(), new UserAgent()];
    assert.ok((await attempt(laptop, owner.email, owner.password, '198.51.100.4')).signedIn);
    assert.ok((await attempt(phone, owner.email, owner.password, '198.51.100.5')).signedIn);
    for (let n = 0; n < 3; n += 1) {
      assert.equal((await attempt(laptop, owner.email, `typo ${n}`, '198.51.100.4')).posted.status, 401);
    }
    const locked = await attempt(laptop, owner.email, owner.password, '198.51.100.4');
    assert.equal(locked.posted.status, 429, 'the right password waits on a locked device');
    const retryAfter = Number(locked.posted.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
    assert.ok((await attempt(phone, owner.email, owner.password, '198.51.100.5')).signedIn);
    // Nor was the account touched: a new browser signs in too.
    assert.ok((await attempt(new UserAgent(), owner.email, owner.password, '198.51.100.6')).signedIn);
  });

  test('a device cookie vouches for its own account only, and only with a valid signature', async () => {
    const owner = await createUser(provider);
    const someone = await createUser(provider);
    const theirs = new UserAgent();
    assert.ok((await attempt(theirs, someone.email, someone.password, '198.51.100.7')).signedIn);
    const forged = new UserAgent();
    assert.ok((await attempt(forged, owner.email, owner.password, '198.51.100.8')).signedIn);
    await lockAccount(owner.email);

    // Another account's device cookie is no device cookie of this one.
    assert.equal((await attempt(theirs, owner.email, owner.password, '198.51.100.7')).posted.status, 429);
    // The owner's cookie with its signature altered is no device cookie at all.
    const jar = jarOf(forged);
    const signature = [...jar.keys()].find((name) => /^usher\.device\..*\.sig$/.test(name))!;
    const value = jar.get(signature)!;
    jar.set(signature, `${value.startsWith('A') ? 'B' : 'A'}${value.slice(1)}`);
    assert.equal((await attempt(forged, owner.email, owner.password, '198.51.100.8')).posted.status, 429);
  });
});
