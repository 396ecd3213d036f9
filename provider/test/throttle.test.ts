import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { openKeyValueStore, type KeyValueStore } from '@usher/platform';
import { createThrottle } from '../src/security/throttle.ts';
import { loadProviderConfig } from '../src/config.ts';
import { storeMode } from '@usher/test-support';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe(`rate limits (${storeMode === 'real' ? 'Redis' : 'in-process'})`, () => {
  const stores: KeyValueStore[] = [];
  const open = () => {
    const store = openKeyValueStore(
      storeMode === 'real' ? redisUrl : undefined,
      `usher-test-${randomBytes(4).toString('hex')}:`,
    );
    stores.push(store);
    return store;
  };
  const config = loadProviderConfig({
    RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '6',
    RATE_LIMIT_SIGNIN_FAILURES_PER_IP: '8',
    RATE_LIMIT_REGISTRATIONS_PER_IP: '2',
    RATE_LIMIT_PASSWORD_CHANGES_PER_ACCOUNT: '2',
    RATE_LIMIT_REFRESH_PER_MINUTE: '2',
  });

  after(async () => {
    for (const store of stores) {
      if (store.redis) {
        const keys = await store.redis.keys('*'); // keyPrefix applies to arguments, not to KEYS' answer
        const own = keys.filter((key) => key.startsWith(store.prefix)).map((key) => key.slice(store.prefix.length));
        if (own.length) await store.redis.del(...own);
      }
      await store.close();
    }
  });

  test('failed sign-ins add a growing delay, then lock the account; success clears the account counter', async () => {
    const throttle = createThrottle(config, open());
    const delays: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const verdict = await throttle.beforeSignIn('Someone@Example.com', '10.0.0.1');
      assert.equal(verdict.allowed, true);
      delays.push(verdict.delayMs);
      await throttle.signInFailed('someone@example.com', '10.0.0.1');
    }
    assert.deepEqual(delays, [0, 0, 0, 250, 500, 1000]);
    const locked = await throttle.beforeSignIn('someone@example.com', '10.0.0.2');
    assert.equal(locked.allowed, false, 'locked per account, whatever the IP');
    assert.ok(locked.retryAfterSeconds > 0 && locked.retryAfterSeconds <= 15 * 60);
    const other = await throttle.beforeSignIn('other@example.com', '10.0.0.3');
    assert.equal(other.allowed, true);
    const fresh = createThrottle(config, open());
    await fresh.signInFailed('a@example.com', '10.0.0.9');
    await fresh.signInSucceeded('a@example.com');
    assert.equal((await fresh.beforeSignIn('a@example.com', '10.0.0.9')).delayMs, 0);
  });

  test('failures from one IP across many accounts add a gentle growing delay, then lock that IP', async () => {
    const throttle = createThrottle(config, open());
    const delays: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      // A new account each time: no account counter ever passes 1, so any delay is the IP's.
      const verdict = await throttle.beforeSignIn(`user${i}@example.com`, '10.1.1.1');
      assert.equal(verdict.allowed, true);
      delays.push(verdict.delayMs);
      await throttle.signInFailed(`user${i}@example.com`, '10.1.1.1');
    }
    // Free for the first half of the IP budget (8), then climbing towards 2 s.
    assert.deepEqual(delays, [0, 0, 0, 0, 0, 500, 1000, 1500]);
    assert.equal((await throttle.beforeSignIn('fresh@example.com', '10.1.1.1')).allowed, false);
    const elsewhere = await throttle.beforeSignIn('fresh@example.com', '10.1.1.2');
    assert.deepEqual([elsewhere.allowed, elsewhere.delayMs], [true, 0]);
  });

  test('the longer of the account and IP delays applies; the IP’s nears 2 s just before its lockout', async () => {
    const throttle = createThrottle(
      loadProviderConfig({ RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '50', RATE_LIMIT_SIGNIN_FAILURES_PER_IP: '40' }),
      open(),
    );
    for (let i = 0; i < 39; i += 1) await throttle.signInFailed(`spray${i}@example.com`, '10.4.4.4');
    // 19 failures past the free 20 of 40: 2000 * 19 / 20.
    assert.equal((await throttle.beforeSignIn('new@example.com', '10.4.4.4')).delayMs, 1900);
    for (let i = 0; i < 5; i += 1) await throttle.signInFailed('target@example.com', '10.4.4.5');
    // Five failures on one account (1 s) outweigh that IP's five (free)...
    assert.equal((await throttle.beforeSignIn('target@example.com', '10.4.4.5')).delayMs, 1000);
    // ...and the busy IP's 1.9 s outweighs the account's 1 s.
    assert.equal((await throttle.beforeSignIn('target@example.com', '10.4.4.4')).delayMs, 1900);
    await throttle.signInFailed('new@example.com', '10.4.4.4');
    assert.equal((await throttle.beforeSignIn('new@example.com', '10.4.4.4')).allowed, false);
  });

  test('registrations, password changes and refreshes have their own budgets', async () => {
    const throttle = createThrottle(config, open());
    for (const take of [
      () => throttle.registration('10.2.2.2'),
      () => throttle.passwordChange('user-1'),
      () => throttle.refresh('10.2.2.2'),
    ]) {
      assert.equal((await take()).allowed, true);
      assert.equal((await take()).allowed, true);
      const refused = await take();
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterSeconds >= 1);
    }
  });

  test('a device cookie spends its own budget: the account’s lockout does not reach it, nor its own the account', async () => {
    const throttle = createThrottle(
      loadProviderConfig({ RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '3', RATE_LIMIT_SIGNIN_FAILURES_PER_DEVICE: '2' }),
      open(),
    );
    for (let i = 0; i < 3; i += 1) await throttle.signInFailed('owner@example.com', `10.5.5.${i}`);
    assert.equal((await throttle.beforeSignIn('owner@example.com', '10.5.5.9')).allowed, false);
    assert.equal((await throttle.beforeSignIn('owner@example.com', '10.5.5.9', 'owner:laptop')).allowed, true);
    await throttle.signInFailed('owner@example.com', '10.5.5.9', 'owner:laptop');
    await throttle.signInFailed('owner@example.com', '10.5.5.9', 'owner:laptop');
    assert.equal((await throttle.beforeSignIn('owner@example.com', '10.5.5.9', 'owner:laptop')).allowed, false);
    assert.equal((await throttle.beforeSignIn('owner@example.com', '10.5.5.9', 'owner:phone')).allowed, true);
    // With device budgets off, a device is any browser.
    const off = createThrottle(
      loadProviderConfig({ RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '1', RATE_LIMIT_SIGNIN_FAILURES_PER_DEVICE: '0' }),
      open(),
    );
    await off.signInFailed('owner@example.com', '10.5.5.1', 'owner:laptop');
    assert.equal((await off.beforeSignIn('owner@example.com', '10.5.5.1', 'owner:laptop')).allowed, false);
  });

  test('failed client authentication: per client id and per IP, long ids hashed to one key', async () => {
    const throttle = createThrottle(
      loadProviderConfig({
        RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_CLIENT: '2',
        RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_IP: '3',
      }),
      open(),
    );
    const long = 'x'.repeat(5000);
    await throttle.clientAuthFailed(long, '10.6.6.1');
    await throttle.clientAuthFailed(long, '10.6.6.2');
    assert.equal((await throttle.beforeClientAuth(long, '10.6.6.3')).allowed, false);
    assert.equal((await throttle.beforeClientAuth('other', '10.6.6.1')).allowed, true);
    await throttle.clientAuthFailed(null, '10.6.6.1');
    await throttle.clientAuthFailed('another', '10.6.6.1');
    const locked = await throttle.beforeClientAuth('other', '10.6.6.1');
    assert.equal(locked.allowed, false);
    assert.ok(locked.retryAfterSeconds > 15 * 60 && locked.retryAfterSeconds <= 60 * 60);
  });

  test('a limit of 0 is off', async () => {
    const throttle = createThrottle(loadProviderConfig({ RATE_LIMIT_REGISTRATIONS_PER_IP: '0' }), open());
    for (let i = 0; i < 30; i += 1) assert.equal((await throttle.registration('10.3.3.3')).allowed, true);
  });
});
