import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openKeyValueStore, type KeyValueStore } from '@usher/platform';
import { createTestStores, storeMode, type TestStores, pastClaimsChangeLead } from '../../../provider/test/harness.ts';
import { outcomeCodes, ProviderKeys, RevocationList, SecurityEventReceiver, TokenVerifier } from '../src/index.ts';
import { machineToken, registerMachineClient, startProviderProcess, type ProviderProcess } from './provider-process.ts';

const resource = 'http://films.revocation.test';
const pollIntervalMs = 1000;

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

describe(`revocation feed: signed SETs by poll${storeMode === 'real' ? ' and Redis pub/sub' : ''}`, () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let cacheDir: string;
  let keys: ProviderKeys;
  let list: RevocationList;
  let receiver: SecurityEventReceiver;
  let verifier: TokenVerifier;
  let store: KeyValueStore | undefined;
  let subjectSecret: string;
  let receiverSecret: string;

  before(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'usher-kit-revocation-'));
    stores = await createTestStores();
    provider = await startProviderProcess(stores);
    subjectSecret = registerMachineClient(provider, resource, 'viewer', ['pro_read']);
    receiverSecret = registerMachineClient(provider, resource, 'films-service', ['security_events_receive']);
    // Granting permissions is itself a claims change: tokens minted in its lead time are covered.
    await pastClaimsChangeLead();
    keys = new ProviderKeys({ issuer: provider.url, cacheDir, refreshCooldownMs: 100 });
    await keys.start();
    list = new RevocationList({ file: path.join(cacheDir, 'revocations.json') });
    if (stores.env.REDIS_URL) store = openKeyValueStore(stores.env.REDIS_URL, stores.env.REDIS_PREFIX);
    receiver = new SecurityEventReceiver({
      issuer: provider.url,
      keys,
      list,
      clientId: 'films-service',
      clientSecret: receiverSecret,
      pollIntervalMs,
      ...(store ? { store } : {}),
    });
    await receiver.start();
    verifier = new TokenVerifier({ issuer: provider.url, audience: resource, keys, revocations: list });
  });

  after(async () => {
    await receiver?.stop();
    keys?.stop();
    await store?.close();
    await provider?.kill();
    await stores?.dispose();
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('a permission change retires the subject’s earlier tokens within the bound; new tokens work', async () => {
    const old = await machineToken(provider, 'viewer', subjectSecret, resource);
    assert.equal((await verifier.verify(old)).code, outcomeCodes.verified);
    const granted = provider.cli('permissions', 'grant', 'can_view_file', '--client', 'viewer');
    assert.equal(granted.status, 0, granted.stderr);
    const bound = store ? 1000 : pollIntervalMs + 1500;
    const delay = await until(async () => (await verifier.verify(old)).code === outcomeCodes.revoked, bound);
    console.log(`# claims-change applied ${delay} ms after the CLI returned (${store ? 'Redis pub/sub' : 'poll'})`);
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
    await until(
      async () => (await verifier.verify(first)).code === outcomeCodes.revoked,
      store ? 1000 : pollIntervalMs + 1500,
    );
    assert.equal((await verifier.verify(second)).code, outcomeCodes.verified);
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
