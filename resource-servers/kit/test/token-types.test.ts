import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createTestStores,
  createUserAccount,
  machineToken,
  type ProviderProcess,
  registerMachineClient,
  registerWebClient,
  signInUser,
  startProviderProcess,
  type TestStores,
} from '@usher/test-support';
import { outcomeCodes, ProviderKeys, TokenVerifier, type Outcome } from '../src/index.ts';
import { startStandInIssuer, type StandInIssuer } from './stand-in-issuer.ts';

const resource = 'http://films.kit.test';

function expectCode(outcome: Outcome, code: string) {
  assert.equal(outcome.code, code, JSON.stringify(outcome));
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A token of the provider's with another `kid` in its header (a kid it never published). */
function withKid(token: string, kid: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>;
  return [Buffer.from(JSON.stringify({ ...claims, kid })).toString('base64url'), payload, signature].join('.');
}

/** Unknown kids cost the provider little; tokens that are not access tokens, or not yet, are refused. */
describe('unknown kids and token types against a running provider', () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let secret: string;
  let cacheRoot: string;

  before(async () => {
    cacheRoot = await mkdtemp(path.join(tmpdir(), 'usher-kit-types-'));
    stores = await createTestStores();
    provider = await startProviderProcess(stores);
    secret = registerMachineClient(provider, resource, 'kit-tests', ['pro_read']);
  });

  after(async () => {
    await provider?.kill();
    await stores?.dispose();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  async function verifierFor(audience = resource) {
    const keys = new ProviderKeys({
      issuer: provider.url,
      cacheDir: await mkdtemp(path.join(cacheRoot, 'keys-')),
      refreshCooldownMs: 200,
    });
    await keys.start();
    return { keys, verifier: new TokenVerifier({ issuer: provider.url, audience, keys }) };
  }

  test('a flood of unknown kids within the refresh cooldown costs one JWKS fetch, seen at the provider', async () => {
    // Between the kit and the provider, an ingress that counts what reaches the provider.
    const hits: string[] = [];
    const ingress = createServer((req, res) => {
      hits.push(req.url!);
      fetch(provider.url + req.url).then(
        async (answer) => {
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await answer.arrayBuffer()));
        },
        () => res.writeHead(502).end(),
      );
    });
    const ingressUrl = await listen(ingress);
    const cooldownMs = 1000;
    const keys = new ProviderKeys({
      issuer: provider.url,
      providerUrl: ingressUrl,
      cacheDir: await mkdtemp(path.join(cacheRoot, 'flood-')),
      refreshCooldownMs: cooldownMs,
      backgroundRefreshMs: 60_000,
    });
    try {
      await keys.start();
      const jwksFetches = () => hits.filter((url) => url.startsWith('/jwks')).length;
      assert.equal(jwksFetches(), 1, 'the start fetch');
      const verifier = new TokenVerifier({ issuer: provider.url, audience: resource, keys });
      const token = await machineToken(provider, 'kit-tests', secret, resource);
      await new Promise((resolve) => setTimeout(resolve, cooldownMs + 50)); // past the start fetch's cooldown
      const started = Date.now();
      const forged = () => withKid(token, randomBytes(8).toString('hex'));
      // Concurrent ones share the fetch the first one starts; later ones fall within the cooldown.
      const outcomes = await Promise.all(Array.from({ length: 100 }, () => verifier.verify(forged())));
      for (let i = 0; i < 100; i += 1) outcomes.push(await verifier.verify(forged()));
      assert.ok(Date.now() - started < cooldownMs, 'the flood fell within one cooldown');
      for (const outcome of outcomes) expectCode(outcome, outcomeCodes.invalid);
      assert.equal(jwksFetches(), 2, 'one fetch for 200 unknown kids');
      expectCode(await verifier.verify(token), outcomeCodes.verified);
    } finally {
      keys.stop();
      ingress.close();
    }
  });

  test('an ID token (typ JWT, not at+jwt) is invalid even where its audience is accepted', async () => {
    const web = await registerWebClient(provider, 'kit-web');
    const user = createUserAccount(provider);
    const { tokens } = await signInUser(provider, web, user, resource);
    const idToken = tokens.id_token!;
    const header = JSON.parse(Buffer.from(idToken.split('.')[0]!, 'base64url').toString()) as { typ?: string };
    assert.notEqual(header.typ, 'at+jwt');
    // Audience = the client: signature, iss, aud and exp all pass; only the type is wrong.
    const idCheck = await verifierFor('kit-web');
    const verifier = idCheck.verifier;
    const outcome = await verifier.verify(idToken);
    expectCode(outcome, outcomeCodes.invalid);
    assert.equal('reason' in outcome && outcome.reason, 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    // The same user's access token, for the resource, verifies.
    const accessCheck = await verifierFor();
    expectCode(await accessCheck.verifier.verify(tokens.access_token), outcomeCodes.verified);
    idCheck.keys.stop();
    accessCheck.keys.stop();
  });
});

/**
 * Claims the provider never puts in its tokens (a `nbf` in the future), checked against a stand-in
 * issuer: discovery and a JWKS served from this test, with a key it holds.
 */
describe('a stand-in issuer’s tokens', () => {
  let standIn: StandInIssuer;
  let issuer: string;
  let cacheDir: string;
  let keys: ProviderKeys;
  let sign: (claims: Record<string, unknown>) => Promise<string>;

  before(async () => {
    standIn = await startStandInIssuer();
    issuer = standIn.issuer;
    sign = (claims) => standIn.sign(resource, claims);
    cacheDir = await mkdtemp(path.join(tmpdir(), 'usher-kit-stand-in-'));
    keys = new ProviderKeys({ issuer, cacheDir, refreshCooldownMs: 60_000 });
    await keys.start();
  });

  after(async () => {
    keys?.stop();
    standIn?.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('a token with nbf in the future is invalid; within the leeway it verifies', async () => {
    const verifier = new TokenVerifier({ issuer, audience: resource, keys, clockToleranceSeconds: 5 });
    const now = Math.floor(Date.now() / 1000);
    expectCode(await verifier.verify(await sign({})), outcomeCodes.verified);
    expectCode(await verifier.verify(await sign({ nbf: now + 2 })), outcomeCodes.verified);
    const early = await verifier.verify(await sign({ nbf: now + 120 }));
    expectCode(early, outcomeCodes.invalid);
    assert.equal(early.degraded, false);
  });
});
