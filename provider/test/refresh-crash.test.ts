import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import {
  createTestStores,
  signInWithCode,
  startProviderProcess,
  startTcpRelay,
  type ProviderProcess,
  type TcpRelay,
  type TestStores,
} from '@usher/test-support';
import { startProvider, type RunningProvider } from './harness.ts';
import { createUser, createWebClient, filmsResource } from './fixtures.ts';

const chainCount = 24;
const killCount = 5;

/** One client's refresh token chain: it only ever holds the last token it was answered with. */
interface Chain {
  token: string;
  refreshes: number;
  failures: number;
  inFlight: boolean;
  signedOut?: string;
}

describe('refresh chains survive a provider killed mid-refresh', () => {
  let stores: TestStores;
  // In this process: migrations, test data, and (embedded) the database host, so that killing the
  // provider process kills the provider only, as under `npm start`.
  let host: RunningProvider;
  let relay: TcpRelay;
  let relayUrl: string;
  let provider: ProviderProcess | undefined;
  let client: { client_id: string; client_secret?: string };
  let user: { email: string; password: string };

  // The default reuse interval (30 s): a client's retry reaches the replacement well within it.
  const providerSettings = () => ({ ISSUER: relayUrl, RATE_LIMIT_REFRESH_PER_MINUTE: '0' });
  const startReplacement = () => startProviderProcess(stores, providerSettings());

  /** Kills the provider where it stands and sends the relay, after a moment refusing, to `next`. */
  async function crashOver(next: ProviderProcess) {
    await provider?.kill();
    await sleep(Math.random() * 500);
    provider = next;
    relay.retarget({ host: '127.0.0.1', port: Number(new URL(next.url).port) });
  }

  before(async () => {
    stores = await createTestStores();
    host = await startProvider(stores);
    await host.built.domain.resources.create(filmsResource, 'Films');
    client = await createWebClient(host);
    user = await createUser(host, { roles: ['subscriber'] });
    // Nothing listens on port 1: the relay refuses until the first provider is up.
    relay = await startTcpRelay({ host: '127.0.0.1', port: 1 });
    relayUrl = `http://127.0.0.1:${relay.port}`;
    await crashOver(await startReplacement());
  });

  after(async () => {
    await provider?.kill();
    await relay?.close();
    await host?.stop();
    await stores?.dispose();
  });

  /** A refresh grant as a client sends it; a failed request leaves the chain's token as it was. */
  async function refreshOnce(chain: Chain): Promise<void> {
    chain.inFlight = true;
    try {
      const response = await fetch(`${relayUrl}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chain.token, resource: filmsResource }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await response.json()) as { refresh_token?: string; error?: string; error_description?: string };
      if (response.status === 200 && body.refresh_token) {
        chain.token = body.refresh_token;
        chain.refreshes += 1;
      } else if (body.error === 'invalid_grant') {
        chain.signedOut = `${body.error}: ${body.error_description}`;
      } else {
        chain.failures += 1;
      }
    } catch {
      // The connection died with the provider, or the answer was cut: retry with the same token.
      chain.failures += 1;
    } finally {
      chain.inFlight = false;
    }
  }

  test(`${chainCount} chains refreshing back to back, the provider SIGKILLed ${killCount} times: none signed out`, async () => {
    const config = await oidc.discovery(
      new URL(relayUrl),
      client.client_id,
      client.client_secret,
      oidc.ClientSecretBasic(client.client_secret!),
      { execute: [oidc.allowInsecureRequests] },
    );
    const chains: Chain[] = [];
    for (let index = 0; index < chainCount; index += 1) {
      const { tokens } = await signInWithCode(relayUrl, config, user, { resource: filmsResource });
      chains.push({ token: tokens.refresh_token!, refreshes: 0, failures: 0, inFlight: false });
    }

    let running = true;
    const loops = chains.map(async (chain) => {
      while (running && !chain.signedOut) {
        const failuresBefore = chain.failures;
        await refreshOnce(chain);
        if (chain.failures > failuresBefore) await sleep(50 + Math.random() * 100);
      }
    });
    const inFlightAtKill: number[] = [];
    try {
      for (let kill = 0; kill < killCount; kill += 1) {
        // The replacement starts while the chains run (starting takes seconds), then the kill comes
        // at a random moment, as a supervisor restarting a crashed instance behind one address.
        const next = await startReplacement();
        await sleep(300 + Math.random() * 1200);
        inFlightAtKill.push(chains.filter((chain) => chain.inFlight).length);
        await crashOver(next);
      }
      const refreshesBefore = chains.map((chain) => chain.refreshes);
      await sleep(1500);
      running = false;
      await Promise.all(loops);

      const signedOut = chains.flatMap((chain, index) =>
        chain.signedOut ? [`chain ${index}: ${chain.signedOut}`] : [],
      );
      assert.deepEqual(signedOut, [], 'no chain ends signed out');
      assert.ok(
        inFlightAtKill.every((count) => count > 0),
        `every kill hit refreshes in flight (${inFlightAtKill.join(', ')})`,
      );
      assert.ok(chains.reduce((sum, chain) => sum + chain.failures, 0) >= killCount, 'the kills failed requests');
      assert.ok(
        chains.every((chain, index) => chain.refreshes > refreshesBefore[index]!),
        'every chain goes on after the last restart',
      );
      for (const chain of chains) {
        await refreshOnce(chain);
        assert.equal(chain.signedOut, undefined, 'the token each chain holds still refreshes');
      }
    } finally {
      running = false;
      await Promise.all(loops);
    }
  });
});
