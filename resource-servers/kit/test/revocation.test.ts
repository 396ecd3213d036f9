import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openKeyValueStore, type KeyValueStore } from '@usher/platform';
import { decodeJwt } from 'jose';
import {
  createTestStores,
  machineToken,
  pastClaimsChangeLead,
  type ProviderProcess,
  registerMachineClient,
  revocationDelayWithRedisMs,
  startProviderProcess,
  storeMode,
  type TestStores,
  until,
} from '@usher/test-support';
import { outcomeCodes, ProviderKeys, RevocationList, SecurityEventReceiver, TokenVerifier } from '../src/index.ts';

const resource = 'http://films.revocation.test';
const pollIntervalMs = 1000;
/** Slack for one poll round (HTTP, SET verification) on a busy machine. */
const pollSlackMs = 1000;
/** The pub/sub-only receiver polls once at start, then not again within any test. */
const idlePollMs = 60_000;
/** CONTRACTS.md 2: applied within 1 s when Redis is configured. */
const pubSubBoundMs = revocationDelayWithRedisMs;
/** Not the default: the feed's retention must follow the configured lifetime. */
const accessTokenTtl = 600;

describe(`revocation feed: signed SETs by poll${storeMode === 'real' ? ' and Redis pub/sub' : ''}`, () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let cacheDir: string;
  let keys: ProviderKeys;
  let list: RevocationList;
  let receiver: SecurityEventReceiver;
  let verifier: TokenVerifier;
  /** With Redis: a receiver that can only learn of events by pub/sub (its next poll is a minute away). */
  let pushed: { receiver: SecurityEventReceiver; verifier: TokenVerifier } | undefined;
  let store: KeyValueStore | undefined;
  let subjectSecret: string;
  let receiverSecret: string;
  let readerSecret: string;
  /** The token revoked by jti below. */
  let revokedToken: string | undefined;

  /**
   * Waits until both receivers refuse `token` as revoked: the polling one within its interval, the
   * pub/sub one (Redis only) within a second. Prints both delays.
   */
  async function refusedEverywhere(token: string, what: string) {
    const revoked = (check: TokenVerifier) => async () => (await check.verify(token)).code === outcomeCodes.revoked;
    const [polled, published] = await Promise.all([
      until(revoked(verifier), pollIntervalMs + pollSlackMs),
      pushed ? until(revoked(pushed.verifier), pubSubBoundMs) : Promise.resolve(null),
    ]);
    console.log(`# ${what} applied by poll in ${polled} ms (interval ${pollIntervalMs} ms)`);
    if (published !== null)
      console.log(`# ${what} applied by Redis pub/sub in ${published} ms (poll ${idlePollMs} ms)`);
  }

  before(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'usher-kit-revocation-'));
    stores = await createTestStores();
    provider = await startProviderProcess(stores, { ACCESS_TOKEN_TTL: String(accessTokenTtl) });
    subjectSecret = registerMachineClient(provider, resource, 'viewer', ['pro_read']);
    receiverSecret = registerMachineClient(provider, resource, 'films-service', ['security_events_receive']);
    // Its own receiver client: acknowledgements are per client, so the two receivers' queues stay apart.
    readerSecret = registerMachineClient(provider, resource, 'feed-reader', ['security_events_receive']);
    const pushedSecret = registerMachineClient(provider, resource, 'films-pubsub', ['security_events_receive']);
    // Granting permissions is itself a claims change: tokens minted in its lead time are covered.
    await pastClaimsChangeLead();
    keys = new ProviderKeys({ issuer: provider.url, cacheDir, refreshCooldownMs: 100 });
    await keys.start();
    list = new RevocationList({ file: path.join(cacheDir, 'revocations.json') });
    // Poll only, even with Redis: the delivery without Redis, measured on its own.
    receiver = new SecurityEventReceiver({
      issuer: provider.url,
      keys,
      list,
      clientId: 'films-service',
      clientSecret: receiverSecret,
      pollIntervalMs,
    });
    await receiver.start();
    verifier = new TokenVerifier({ issuer: provider.url, audience: resource, keys, revocations: list });
    if (stores.env.REDIS_URL) {
      store = openKeyValueStore(stores.env.REDIS_URL, stores.env.REDIS_PREFIX);
      const pushedList = new RevocationList();
      const pushedReceiver = new SecurityEventReceiver({
        issuer: provider.url,
        keys,
        list: pushedList,
        clientId: 'films-pubsub',
        clientSecret: pushedSecret,
        pollIntervalMs: idlePollMs,
        store,
      });
      await pushedReceiver.start();
      pushed = {
        receiver: pushedReceiver,
        verifier: new TokenVerifier({ issuer: provider.url, audience: resource, keys, revocations: pushedList }),
      };
    }
  });

  after(async () => {
    await receiver?.stop();
    await pushed?.receiver.stop();
    keys?.stop();
    await store?.close();
    await provider?.kill();
    await stores?.dispose();
    await rm(cacheDir, { recursive: true, force: true });
  });

  test(
    'with real stores the pub/sub receiver exists, so pub/sub delivery is measured',
    { skip: storeMode !== 'real' },
    () => {
      assert.ok(pushed, 'REDIS_URL is set for the real stores');
    },
  );

  test('a permission change retires the subject’s earlier tokens within the bound; new tokens work', async () => {
    const old = await machineToken(provider, 'viewer', subjectSecret, resource);
    assert.equal((await verifier.verify(old)).code, outcomeCodes.verified);
    const granted = provider.cli('permissions', 'grant', 'can_view_file', '--client', 'viewer');
    assert.equal(granted.status, 0, granted.stderr);
    await refusedEverywhere(old, 'claims-change');
    // The event reaches past the provider's short claims cache (a couple of seconds); tokens minted
    // after that carry the new claims and are not covered.
    await pastClaimsChangeLead();
    const fresh = await machineToken(provider, 'viewer', subjectSecret, resource);
    const outcome = await verifier.verify(fresh);
    assert.equal(outcome.code, outcomeCodes.verified);
    assert.ok(outcome.code === outcomeCodes.verified && outcome.subject.permissions.includes('can_view_file'));
  });

  test('revoking one JWT access token at the revocation endpoint retires that token only', async () => {
    await pastClaimsChangeLead(); // tokens minted after the last claims change
    const [first, second] = [
      await machineToken(provider, 'viewer', subjectSecret, resource),
      await machineToken(provider, 'viewer', subjectSecret, resource),
    ];
    assert.equal((await verifier.verify(first)).code, outcomeCodes.verified);
    const response = await fetch(`${provider.url}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`viewer:${subjectSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: first, token_type_hint: 'access_token' }).toString(),
    });
    assert.equal(response.status, 200);
    revokedToken = first;
    await refusedEverywhere(first, 'token-revoked');
    assert.equal((await verifier.verify(second)).code, outcomeCodes.verified);
    if (pushed) assert.equal((await pushed.verifier.verify(second)).code, outcomeCodes.verified);
  });

  test('each SET says when the tokens it covers have expired: the token’s exp, or the configured lifetime on', async () => {
    const response = await fetch(`${provider.url}/secevents/poll`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`feed-reader:${readerSecret}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ maxEvents: 1000 }), // never acknowledged: every live event
    });
    assert.equal(response.status, 200);
    const { sets } = (await response.json()) as { sets: Record<string, string> };
    type Body = { jti?: string; event_timestamp: number; covered_tokens_exp: number; subject: { id?: string } };
    const events = Object.values(sets).flatMap((set) => Object.entries(decodeJwt(set).events as Record<string, Body>));
    const revoked = decodeJwt(revokedToken!);
    const single = events.filter(([type, body]) => type.endsWith('/token-revoked') && body.jti === revoked.jti);
    assert.equal(single.length, 1);
    assert.equal(single[0]![1].covered_tokens_exp, revoked.exp);
    const claimsChanges = events.filter(
      ([type, body]) => type.endsWith('/token-claims-change') && body.subject.id === 'viewer',
    );
    assert.ok(claimsChanges.length > 0);
    for (const [, body] of claimsChanges) {
      // Tokens minted up to event_timestamp live ACCESS_TOKEN_TTL; the provider adds a margin of minutes.
      const kept = body.covered_tokens_exp - body.event_timestamp;
      assert.ok(kept >= accessTokenTtl && kept <= accessTokenTtl + 5 * 60 + 5, `kept ${kept} s`);
    }
  });

  test('another client cannot revoke someone else’s token', async () => {
    const token = await machineToken(provider, 'viewer', subjectSecret, resource);
    const response = await fetch(`${provider.url}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`films-service:${receiverSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token }).toString(),
    });
    assert.equal(response.status, 200); // RFC 7009: no information about the token
    await receiver.poll();
    assert.equal((await verifier.verify(token)).code, outcomeCodes.verified);
  });

  test('a restarted resource server remembers revocations from disk', async () => {
    await list.flush();
    const reloaded = new RevocationList({ file: path.join(cacheDir, 'revocations.json') });
    await reloaded.load();
    assert.ok(reloaded.size >= 2);
    assert.equal(reloaded.size, list.size);
  });

  test('the poll endpoint authenticates receivers and honours acknowledgements', async () => {
    const url = `${provider.url}/secevents/poll`;
    const post = (auth: string, body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await post('films-service:wrong', {})).status, 401);
    assert.equal((await post(`viewer:${subjectSecret}`, {})).status, 403, 'needs security_events_receive');
    assert.equal((await post(`films-service:${receiverSecret}`, { maxEvents: 'many' })).status, 400);
    const first = (await (await post(`films-service:${receiverSecret}`, { maxEvents: 1000 })).json()) as {
      sets: Record<string, string>;
    };
    // The receiver acknowledged everything it applied; a fresh poll has nothing it has not acked... except
    // what arrived since its last poll. Acknowledge what we see, then nothing is left.
    const seen = Object.keys(first.sets);
    const second = (await (await post(`films-service:${receiverSecret}`, { ack: seen, maxEvents: 1000 })).json()) as {
      sets: Record<string, string>;
      moreAvailable: boolean;
    };
    assert.deepEqual(
      Object.keys(second.sets).filter((jti) => seen.includes(jti)),
      [],
    );
    assert.equal(second.moreAvailable, false);
  });
});
