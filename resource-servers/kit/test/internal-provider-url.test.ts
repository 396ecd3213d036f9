import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createTestStores,
  machineToken,
  pastClaimsChangeLead,
  type ProviderProcess,
  registerMachineClient,
  startProviderProcess,
  type TestStores,
} from '@usher/test-support';
import { outcomeCodes, ProviderKeys, RevocationList, SecurityEventReceiver, TokenVerifier } from '../src/index.ts';

const resource = 'http://films.internal-url.test';
/** What tokens carry as `iss`; `.invalid` never resolves (RFC 6761), so nothing reaches the provider here. */
const publicIssuer = 'http://usher.invalid:1';

/**
 * A stand-in for an ingress that presents every request to the provider under the public host (as
 * nginx does with a fixed `proxy_set_header Host`): the provider then publishes its endpoints under
 * the public issuer even to callers inside the network. It records what it forwarded.
 */
async function startFixedHostProxy(target: string): Promise<{ url: string; seen: string[]; server: Server }> {
  const { hostname, port } = new URL(target);
  const seen: string[] = [];
  const server = createServer((incoming, outgoing) => {
    seen.push(`${incoming.method} ${incoming.url}`);
    const forwarded = request(
      {
        host: hostname,
        port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: new URL(publicIssuer).host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, seen, server };
}

function issuerOf(token: string): unknown {
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iss?: unknown }).iss;
}

describe('reaching the provider at an internal address while tokens name the public issuer', () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let secret: string;
  let receiverSecret: string;
  let cacheRoot: string;
  const started: ProviderKeys[] = [];

  async function keysFor(options: { issuer: string; providerUrl?: string }) {
    const keys = new ProviderKeys({
      ...options,
      cacheDir: await mkdtemp(path.join(cacheRoot, 'keys-')),
      refreshCooldownMs: 200,
      timeoutMs: 1000,
    });
    await keys.start();
    started.push(keys);
    return keys;
  }

  before(async () => {
    cacheRoot = await mkdtemp(path.join(tmpdir(), 'usher-kit-internal-'));
    stores = await createTestStores();
    // The provider listens on a free local port but calls itself http://usher.invalid:1.
    provider = await startProviderProcess(stores, { ISSUER: publicIssuer });
    secret = registerMachineClient(provider, resource, 'kit-internal', ['pro_read']);
    receiverSecret = registerMachineClient(provider, resource, 'films-service', ['security_events_receive']);
  });

  after(async () => {
    for (const keys of started) keys.stop();
    await provider?.kill();
    await stores?.dispose();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  test('without providerUrl the public issuer leads nowhere: the token is served degraded', async () => {
    const token = await machineToken(provider, 'kit-internal', secret, resource);
    assert.equal(issuerOf(token), publicIssuer);
    const keys = await keysFor({ issuer: publicIssuer });
    assert.equal(keys.status.reachable, false);
    const verifier = new TokenVerifier({ issuer: publicIssuer, audience: resource, keys });
    assert.equal((await verifier.verify(token)).code, outcomeCodes.degraded);
  });

  test('with providerUrl the keys come from the internal address and the token verifies', async () => {
    const token = await machineToken(provider, 'kit-internal', secret, resource);
    const keys = await keysFor({ issuer: publicIssuer, providerUrl: `${provider.url}/` });
    assert.equal(keys.providerUrl, provider.url, 'a trailing slash is dropped');
    assert.equal(keys.status.reachable, true, String(keys.status.lastFailure));
    const verifier = new TokenVerifier({ issuer: publicIssuer, audience: resource, keys });
    const outcome = await verifier.verify(token);
    assert.equal(outcome.code, outcomeCodes.verified, JSON.stringify(outcome));
    assert.ok(outcome.code === outcomeCodes.verified && outcome.subject.sub === 'kit-internal');
    // The issuer is still checked on every token: one verifier expecting another issuer refuses it.
    const wrongIssuer = new TokenVerifier({ issuer: provider.url, audience: resource, keys });
    assert.equal((await wrongIssuer.verify(token)).code, outcomeCodes.invalid);
  });

  test('a provider whose discovery names another issuer is refused, whichever address answered', async () => {
    const token = await machineToken(provider, 'kit-internal', secret, resource);
    // Configured with the address it is reached at, as if that were the issuer: discovery says otherwise.
    const misnamed = await keysFor({ issuer: provider.url });
    assert.equal(misnamed.status.reachable, false);
    assert.match(String(misnamed.status.lastFailure), /does not match the issuer/);
    assert.deepEqual(misnamed.status.kids, [], 'no key is taken from a provider that is not the issuer');
    // The same through providerUrl: reaching it elsewhere never changes who it must be.
    const elsewhere = await keysFor({ issuer: 'http://usher.example.invalid', providerUrl: provider.url });
    assert.match(String(elsewhere.status.lastFailure), /does not match the issuer/);
    assert.deepEqual(elsewhere.status.kids, []);
    const verifier = new TokenVerifier({ issuer: 'http://usher.example.invalid', audience: resource, keys: elsewhere });
    assert.notEqual((await verifier.verify(token)).code, outcomeCodes.verified);
  });

  test('JWKS and poll URLs published under the public issuer are fetched at the internal address', async () => {
    const proxy = await startFixedHostProxy(provider.url);
    try {
      // The premise: seen through this ingress, the provider publishes its JWKS under the public issuer.
      const discovery = (await (await fetch(`${proxy.url}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
        jwks_uri: string;
      };
      assert.equal(discovery.issuer, publicIssuer);
      assert.equal(discovery.jwks_uri, `${publicIssuer}/jwks`);
      proxy.seen.length = 0;

      const keys = await keysFor({ issuer: publicIssuer, providerUrl: proxy.url });
      assert.equal(keys.status.reachable, true, String(keys.status.lastFailure));
      assert.deepEqual(proxy.seen, ['GET /.well-known/openid-configuration', 'GET /jwks']);

      const list = new RevocationList({ file: path.join(cacheRoot, 'revocations.json') });
      const receiver = new SecurityEventReceiver({
        issuer: publicIssuer,
        keys,
        list,
        clientId: 'films-service',
        clientSecret: receiverSecret,
        pollIntervalMs: 60_000,
      });
      const verifier = new TokenVerifier({ issuer: publicIssuer, audience: resource, keys, revocations: list });
      // Granting permissions is itself a claims change: mint after its lead time, so only the
      // revocation below can retire this token.
      await pastClaimsChangeLead();
      await receiver.start();
      try {
        assert.equal(receiver.lastPollOk, true, 'the feed is polled at the internal address');
        assert.ok(proxy.seen.includes('POST /secevents/poll'), proxy.seen.join(', '));
        const token = await machineToken(provider, 'kit-internal', secret, resource);
        assert.equal((await verifier.verify(token)).code, outcomeCodes.verified);
        const revoked = await fetch(`${provider.url}/token/revocation`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`kit-internal:${secret}`).toString('base64')}`,
          },
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        });
        assert.equal(revoked.status, 200);
        let outcome = await verifier.verify(token);
        for (let attempt = 0; attempt < 20 && outcome.code !== outcomeCodes.revoked; attempt += 1) {
          await receiver.poll();
          outcome = await verifier.verify(token);
          if (outcome.code !== outcomeCodes.revoked) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(outcome.code, outcomeCodes.revoked, 'the revocation arrived through the internal address');
      } finally {
        await receiver.stop();
      }
    } finally {
      proxy.server.closeAllConnections();
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });
});
