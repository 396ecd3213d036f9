import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RevocationList, type Subject } from '@usher/kit';
import { decodeJwt } from 'jose';
import type * as oidc from 'openid-client';
import {
  createTestStores,
  createUserAccount,
  machineToken,
  pastClaimsChangeLead,
  type ProviderProcess,
  registerMachineClient,
  registerWebClient,
  revocationDelayWithRedisMs,
  signInUser,
  signOutUser,
  startProviderProcess,
  storeMode,
  type TestStores,
  until,
  type UserAccount,
} from '@usher/test-support';
import { fixtureFilms, ids } from './fixture-catalogue.ts';
import { startFilms, type RunningFilms } from './films-harness.ts';

const resource = 'http://films.user-revocation.test';
const receiverSecret = randomBytes(24).toString('base64url');
/**
 * With Redis, films polls once at start and then not within the test: events can only reach it by
 * pub/sub (on the provider's prefix, as under `npm start`), within a second. Without, by the poll.
 */
const pollMs = storeMode === 'real' ? 60_000 : 300;
const bound = storeMode === 'real' ? revocationDelayWithRedisMs : pollMs + 1500;
const film = `/api/v1/films/${ids.comedyNight}`;

const eventType = {
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  credentialChange: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
  accountDisabled: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  accountPurged: 'https://schemas.openid.net/secevent/risc/event-type/account-purged',
};

/**
 * A signed-in user's token (from the provider's real sign-in page) is refused by films once the
 * provider says the user signed out, was blocked, had the password set, or was deleted.
 */
describe('films refuses a user’s token after sign-out, blocking, a password set, deletion', () => {
  let stores: TestStores;
  let filmStores: TestStores;
  let provider: ProviderProcess;
  let stateDir: string;
  let films: RunningFilms;
  let web: oidc.Configuration;
  let adminToken: string;
  let readerSecret: string;

  before(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'usher-films-users-'));
    stores = await createTestStores();
    provider = await startProviderProcess(stores, {
      USHER_RESOURCE_SERVERS: `Films=${resource}`,
      USHER_EVENT_RECEIVERS: `films-service:${receiverSecret}`,
    });
    web = await registerWebClient(provider, 'cinema-web');
    const adminAudience = `${provider.url}/api`;
    const adminSecret = registerMachineClient(provider, adminAudience, 'user-admin', ['permissions_admin']);
    // Granting a permission is a claims change: tokens minted in its lead time are covered by it.
    await pastClaimsChangeLead();
    adminToken = await machineToken(provider, 'user-admin', adminSecret, adminAudience);
    // Reads the feed over HTTP (without acknowledging) to name the event that did the work.
    readerSecret = registerMachineClient(provider, resource, 'feed-reader', ['security_events_receive']);
    filmStores = await createTestStores();
    films = await startFilms(filmStores, {
      issuer: provider.url,
      resource,
      films: fixtureFilms,
      env: {
        FILMS_CLIENT_ID: 'films-service',
        FILMS_CLIENT_SECRET: receiverSecret,
        FILMS_EVENTS_POLL_MS: String(pollMs),
        FILMS_STATE_DIR: stateDir,
        // Its own database, but the provider's Redis prefix: the channel the provider publishes on.
        ...(stores.env.REDIS_PREFIX ? { REDIS_PREFIX: stores.env.REDIS_PREFIX } : {}),
      },
    });
  });

  after(async () => {
    await films?.stop();
    await provider?.kill();
    await stores?.dispose();
    await filmStores?.dispose();
    await rm(stateDir, { recursive: true, force: true });
  });

  /** A fresh user's access token for films, checked to work there first. */
  async function signedInUser() {
    const user = createUserAccount(provider);
    const signedIn = await signInUser(provider, web, user, resource);
    const token = signedIn.tokens.access_token;
    assert.equal(decodeJwt(token).sub, user.id);
    assert.ok(decodeJwt(token).sid, 'a user’s token names its session');
    assert.equal((await films.get(film, token)).status, 200);
    return { user, signedIn, token };
  }

  /** Waits for films to refuse `token` with 401 invalid_token; prints the delay. */
  async function refused(token: string, what: string) {
    const delay = await until(async () => (await films.get(film, token)).status === 401, bound);
    console.log(
      `# films refused the user’s token ${delay} ms after ${what} (${storeMode === 'real' ? 'Redis pub/sub' : 'poll'})`,
    );
    const answer = await films.get(film, token);
    assert.equal(answer.status, 401);
    assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
  }

  /** The events the feed holds for `user` (every live event: the reader acknowledges none). */
  async function feedEvents(user: UserAccount): Promise<[string, Record<string, never>][]> {
    const response = await fetch(`${provider.url}/secevents/poll`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`feed-reader:${readerSecret}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ maxEvents: 1000 }),
    });
    assert.equal(response.status, 200);
    const { sets } = (await response.json()) as { sets: Record<string, string> };
    type Body = { subject: { id?: string; user?: { id: string } } };
    return Object.values(sets).flatMap((set) =>
      Object.entries(decodeJwt(set).events as Record<string, Body>)
        .filter(([, body]) => (body.subject.user?.id ?? body.subject.id) === user.id)
        .map(([type, body]) => [type, body as unknown as Record<string, never>] as [string, Record<string, never>]),
    );
  }

  /**
   * Blocking, a password set and deletion also end the user's sessions. The subject-wide event must
   * cover the token on its own: applied alone (no session-revoked), it still revokes it.
   */
  async function coveredBy(type: string, user: UserAccount, token: string) {
    const events = (await feedEvents(user)).filter(([eventName]) => eventName === type);
    assert.equal(events.length, 1, `one ${type} event for the user`);
    const list = new RevocationList();
    assert.ok(list.apply(Object.fromEntries(events)));
    const claims = decodeJwt(token);
    const subject: Subject = {
      sub: claims.sub!,
      clientId: undefined,
      roles: [],
      permissions: [],
      scope: [],
      jti: claims.jti,
      sid: claims.sid as string,
      issuedAt: claims.iat!,
      expiresAt: claims.exp!,
    };
    assert.equal(list.isRevoked(subject), true);
  }

  const admin = (method: string, pathname: string, body?: unknown) =>
    fetch(`${provider.url}/api/v1${pathname}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  test('sign-out (session-revoked for the token’s sid)', async () => {
    const { user, signedIn, token } = await signedInUser();
    await signOutUser(provider, web, signedIn);
    await refused(token, 'sign-out');
    assert.deepEqual(
      (await feedEvents(user)).map(([type]) => type),
      [eventType.sessionRevoked],
    );
    // Another session of the same user is not signed out by it.
    const again = await signInUser(provider, web, user, resource);
    assert.equal((await films.get(film, again.tokens.access_token)).status, 200);
  });

  test('blocking (account-disabled)', async () => {
    const { user, token } = await signedInUser();
    assert.equal((await admin('POST', `/users/${user.id}/block`)).status, 200);
    await refused(token, 'blocking');
    await coveredBy(eventType.accountDisabled, user, token);
  });

  test('an administrator setting the password (credential-change)', async () => {
    const { user, token } = await signedInUser();
    const answer = await admin('PUT', `/users/${user.id}/password`, { new_password: 'a brand new passphrase 42' });
    assert.equal(answer.status, 200);
    await refused(token, 'the password was set');
    await coveredBy(eventType.credentialChange, user, token);
  });

  test('deletion (account-purged)', async () => {
    const { user, token } = await signedInUser();
    assert.equal((await admin('DELETE', `/users/${user.id}`)).status, 204);
    await refused(token, 'deletion');
    await coveredBy(eventType.accountPurged, user, token);
  });
});
