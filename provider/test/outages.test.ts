import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import {
  createTestStores,
  readForm,
  startTcpRelay,
  until,
  UserAgent,
  type TcpRelay,
  type TestStores,
} from '@usher/test-support';
import { startProvider, type RunningProvider } from './harness.ts';
import { machineToken } from './admin-fixtures.ts';
import { callbackUrl, createUser, createWebClient, discover, filmsResource, signIn } from './fixtures.ts';

/**
 * Outages of PostgreSQL and Redis, driven through TCP relays between the provider and the machine's
 * servers (never by stopping them): answers stay quick, a store that is down is a 503 with
 * Retry-After (`temporarily_unavailable` at the OAuth endpoints), never a 500, and the provider
 * recovers by itself. Redis is relayed on both store modes (the embedded database with Redis);
 * PostgreSQL only on the real one: the embedded database's own host going silent is out of scope.
 */
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const relayTo = (url: string, port: number) =>
  startTcpRelay({ host: new URL(url).hostname, port: Number(new URL(url).port) || port });

/** A fetch and how long it took. */
async function timedFetch(url: string, init: RequestInit = {}) {
  const started = Date.now();
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, ms: Date.now() - started };
}

describe('outages: quick answers, 503 for a store that is down, never a 500', () => {
  let stores: TestStores;
  let redisRelay: TcpRelay;
  let databaseRelay: TcpRelay | null = null;
  let provider: RunningProvider;
  let machine: { client_id: string; client_secret: string };
  let web: oidc.Configuration;
  let refreshToken: string;
  let admin: string;
  const prefix = `usher-test-outage-${randomBytes(4).toString('hex')}:`;

  const tokenRequest = (fields: Record<string, string>) =>
    timedFetch(`${provider.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(fields).toString(),
    });
  const clientCredentials = () =>
    tokenRequest({ grant_type: 'client_credentials', resource: filmsResource, ...machine });
  /** The start of a sign-in, as a browser asks for it. */
  const signInPageUrl = () =>
    oidc
      .buildAuthorizationUrl(web, {
        redirect_uri: callbackUrl,
        scope: 'openid',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      })
      .toString();
  const signInPage = () => timedFetch(signInPageUrl(), { headers: { accept: 'text/html' } });
  const readyz = () => timedFetch(`${provider.url}/readyz`);
  const assertTemporarilyUnavailable = (answer: Awaited<ReturnType<typeof timedFetch>>, withinMs: number) => {
    assert.equal(answer.status, 503, answer.text);
    assert.equal(answer.headers.get('retry-after'), '5');
    assert.ok(answer.ms < withinMs, `answered after ${answer.ms} ms`);
  };

  before(async () => {
    stores = await createTestStores();
    redisRelay = await relayTo(redisUrl, 6379);
    const overrides: Record<string, string> = {
      REDIS_URL: redisRelay.urlFor(redisUrl),
      REDIS_PREFIX: stores.env.REDIS_PREFIX ?? prefix,
      RATE_LIMIT_REFRESH_PER_MINUTE: '100',
    };
    if (stores.env.DATABASE_URL) {
      databaseRelay = await relayTo(stores.env.DATABASE_URL, 5432);
      overrides.DATABASE_URL = databaseRelay.urlFor(stores.env.DATABASE_URL);
    }
    provider = await startProvider(stores, overrides);
    const { domain } = provider.built;
    await domain.resources.upsert(filmsResource, 'Films');
    machine = (await domain.clients.create({
      client_name: 'Outage machine',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    })) as typeof machine;
    const client = await createWebClient(provider);
    web = await discover(provider, client.client_id, client.client_secret);
    refreshToken = (await signIn(provider, web, await createUser(provider))).tokens.refresh_token!;
    admin = await machineToken(provider, ['permissions_admin']);
  });

  after(async () => {
    await provider?.stop();
    await redisRelay?.close();
    await databaseRelay?.close();
    if (!stores?.env.REDIS_PREFIX) {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
    await stores?.dispose();
  });

  /** A refresh with the latest refresh token (kept in PostgreSQL; its rate limit falls back to memory without Redis). */
  async function refresh() {
    const answer = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: web.clientMetadata().client_id,
      client_secret: web.clientMetadata().client_secret as string,
    });
    if (answer.status === 200) refreshToken = (JSON.parse(answer.text) as { refresh_token: string }).refresh_token;
    return answer;
  }

  async function redisOutage(mode: 'refuse' | 'silence', withinMs: number) {
    await redisRelay.set(mode);
    if (mode === 'refuse') redisRelay.cut();
    try {
      const ready = await readyz();
      assert.equal(ready.status, 503, ready.text);
      assert.equal((JSON.parse(ready.text) as { checks: { redis: boolean } }).checks.redis, false);
      assert.ok(ready.ms < withinMs, `/readyz answered after ${ready.ms} ms`);
      // A sign-in keeps its state in Redis when Redis is configured: it cannot start, and says so at once.
      const page = await signInPage();
      assertTemporarilyUnavailable(page, withinMs);
      assert.match(page.text, /Temporarily unavailable/);
      // What lives in PostgreSQL is still served.
      const refreshed = await refresh();
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.ok(refreshed.ms < withinMs, `refreshed after ${refreshed.ms} ms`);
      assert.equal((await clientCredentials()).status, 200);
    } finally {
      await redisRelay.set('pass');
    }
    await until(async () => (await readyz()).status === 200, 5000, 100);
    assert.equal((await signInPage()).status, 303);
  }

  test('Redis refused: /readyz 503 at once, sign-in 503 at once, refresh and client tokens still issued', async () => {
    await redisOutage('refuse', 1000);
  });

  test('Redis silent: the same, within the Redis command timeout', async () => {
    await redisOutage('silence', 1500);
  });

  test('PostgreSQL silent: requests fail within about a second with 503, and the provider recovers by itself', async (t) => {
    if (!databaseRelay)
      return t.skip('only a PostgreSQL server can be relayed (embedded: its host going silent is out of scope)');
    await databaseRelay.set('silence');
    try {
      for (let i = 0; i < 2; i += 1) {
        const answer = await refresh();
        assertTemporarilyUnavailable(answer, 3000);
        assert.equal((JSON.parse(answer.text) as { error: string }).error, 'temporarily_unavailable');
      }
      const api = await timedFetch(`${provider.url}/api/v1/users`, { headers: { authorization: `Bearer ${admin}` } });
      assertTemporarilyUnavailable(api, 3000);
      const ready = await readyz();
      assert.equal(ready.status, 503);
      assert.ok(ready.ms < 3500, `/readyz answered after ${ready.ms} ms`);
    } finally {
      await databaseRelay.set('pass');
    }
    await until(async () => (await refresh()).status === 200, 5000, 100);
  });

  test('PostgreSQL refused: the token endpoint, the sign-in pages and the admin API answer 503', async (t) => {
    if (!databaseRelay) return t.skip('only a PostgreSQL server can be relayed');
    // A sign-in started before the outage, its form submitted during it.
    const agent = new UserAgent();
    const start = await agent.follow(signInPageUrl(), provider.url, { headers: { accept: 'text/html' } });
    const form = readForm(await start.response.text());
    await databaseRelay.set('refuse');
    databaseRelay.cut();
    try {
      const token = await refresh();
      assertTemporarilyUnavailable(token, 1500);
      assert.deepEqual(JSON.parse(token.text), {
        error: 'temporarily_unavailable',
        error_description: 'the service is temporarily unavailable, retry later',
      });
      const submitted = await timedFetch(new URL(form.action, provider.url).toString(), {
        method: 'POST',
        headers: {
          accept: 'text/html',
          cookie: agent.cookieHeader(),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ ...form.fields, email: 'someone@example.com', password: 'a password' }).toString(),
      });
      assertTemporarilyUnavailable(submitted, 1500);
      assert.match(submitted.headers.get('content-type') ?? '', /text\/html/);
      const api = await timedFetch(`${provider.url}/api/v1/users`, { headers: { authorization: `Bearer ${admin}` } });
      assertTemporarilyUnavailable(api, 1500);
      assert.equal(api.headers.get('content-type'), 'application/problem+json');
      assert.equal((JSON.parse(api.text) as { status: number }).status, 503);
    } finally {
      await databaseRelay.set('pass');
    }
    await until(async () => (await refresh()).status === 200, 5000, 100);
  });
});
