import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createTestStores,
  freePort,
  machineToken,
  type ProviderProcess,
  registerMachineClient,
  startProviderProcess,
  type TestStores,
  until,
} from '@usher/test-support';
import { outcomeCodes, ProviderKeys, TokenVerifier } from '../src/index.ts';

const resource = 'http://films.startup.test';

/**
 * Started together with the provider, a resource server finds it not listening yet. ProviderKeys
 * then asks once a second during its start-up window instead of once per cooldown, so the keys
 * arrive about a second after the provider does, without a loop in each service.
 */
describe('ProviderKeys at start: a provider that is not listening yet', () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let cacheRoot: string;
  const started: ProviderKeys[] = [];

  const keysFor = async (issuer: string, options: { startupWindowMs?: number; startupRetryMs?: number } = {}) => {
    const keys = new ProviderKeys({
      issuer,
      cacheDir: await mkdtemp(path.join(cacheRoot, 'keys-')),
      refreshCooldownMs: 60_000,
      timeoutMs: 1000,
      ...options,
    });
    await keys.start();
    started.push(keys);
    return keys;
  };

  before(async () => {
    cacheRoot = await mkdtemp(path.join(tmpdir(), 'usher-kit-startup-'));
    stores = await createTestStores();
  });

  after(async () => {
    for (const keys of started) keys.stop();
    await provider?.kill();
    await stores?.dispose();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  test('its keys arrive within about a second of it listening; without start-up retries, a cooldown later', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const retrying = await keysFor(issuer);
    const plain = await keysFor(issuer, { startupWindowMs: 0 });
    assert.equal(retrying.status.reachable, false);
    assert.equal(plain.status.reachable, false);

    provider = await startProviderProcess(stores, {}, { port });
    const delay = await until(async () => retrying.status.reachable, 2500);
    console.log(`# keys fetched ${delay} ms after the provider answered its readiness check`);
    const secret = registerMachineClient(provider, resource, 'startup-client', ['pro_read']);
    const token = await machineToken(provider, 'startup-client', secret, resource);
    const verify = (keys: ProviderKeys) => new TokenVerifier({ issuer, audience: resource, keys }).verify(token);
    assert.equal((await verify(retrying)).code, outcomeCodes.verified);
    // Asked once at start and then only after the 60 s cooldown: still serving degraded.
    assert.equal(plain.status.reachable, false);
    assert.equal((await verify(plain)).code, outcomeCodes.degraded);
    // Once the provider has answered, the retries stop: the background refresh and the cooldown remain.
    const fetches = retrying.status.fetches;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(retrying.status.fetches, fetches);
  });

  test('the retries stop when the start-up window closes, the provider still away', async () => {
    const keys = await keysFor(`http://127.0.0.1:${await freePort()}`, { startupWindowMs: 1200, startupRetryMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const fetches = keys.status.fetches;
    assert.ok(fetches >= 3, `asked again during the window (${fetches} fetches)`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(keys.status.fetches, fetches, 'no fetch after the window');
    assert.equal(keys.status.reachable, false);
  });
});
