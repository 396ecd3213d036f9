import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  createTestStores,
  machineToken,
  type ProviderProcess,
  registerMachineClient,
  startProviderProcess,
  type TestStores,
} from '@usher/test-support';
import { outcomeCodes, ProviderKeys, TokenVerifier, type Outcome } from '../src/index.ts';

const resource = 'http://films.kit.test';

function expectCode(outcome: Outcome, code: string) {
  assert.equal(outcome.code, code, JSON.stringify(outcome));
}

describe('offline token verification against a running provider, and every row of the degrade table', () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let secret: string;
  let cacheRoot: string;
  const started: ProviderKeys[] = [];

  async function verifierFor(
    options: {
      cacheDir?: string;
      issuer?: string;
      audience?: string;
      clockToleranceSeconds?: number;
      timeoutMs?: number;
    } = {},
  ) {
    const keys = new ProviderKeys({
      issuer: options.issuer ?? provider.url,
      cacheDir: options.cacheDir ?? (await mkdtemp(path.join(cacheRoot, 'keys-'))),
      refreshCooldownMs: 200,
      timeoutMs: options.timeoutMs ?? 1000,
    });
    await keys.start();
    started.push(keys);
    const verifier = new TokenVerifier({
      issuer: options.issuer ?? provider.url,
      audience: options.audience ?? resource,
      keys,
      ...(options.clockToleranceSeconds !== undefined ? { clockToleranceSeconds: options.clockToleranceSeconds } : {}),
    });
    return { keys, verifier };
  }

  before(async () => {
    cacheRoot = await mkdtemp(path.join(tmpdir(), 'usher-kit-'));
    stores = await createTestStores();
    provider = await startProviderProcess(stores);
    secret = registerMachineClient(provider, resource, 'kit-tests', ['pro_read', 'can_view_file']);
  });

  after(async () => {
    for (const keys of started) keys.stop();
    await provider?.kill();
    await stores?.dispose();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  test('a valid token gives the subject with its roles and permissions; no token is anonymous', async () => {
    const { verifier } = await verifierFor();
    const token = await machineToken(provider, 'kit-tests', secret, resource);
    const outcome = await verifier.verify(token);
    expectCode(outcome, outcomeCodes.verified);
    assert.ok(outcome.code === outcomeCodes.verified);
    assert.equal(outcome.subject.sub, 'kit-tests');
    assert.deepEqual(outcome.subject.permissions, ['can_view_file', 'pro_read']);
    assert.equal(outcome.degraded, false);
    expectCode(await verifier.verify(null), outcomeCodes.anonymous);
  });

  test('wrong audience, wrong issuer, malformed and tampered tokens are invalid', async () => {
    const token = await machineToken(provider, 'kit-tests', secret, resource);
    const otherAudience = await verifierFor({ audience: 'http://files.kit.test' });
    expectCode(await otherAudience.verifier.verify(token), outcomeCodes.invalid);
    const { verifier } = await verifierFor();
    expectCode(await verifier.verify('not.a.jwt'), outcomeCodes.invalid);
    expectCode(await verifier.verify('garbage'), outcomeCodes.invalid);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = [
      header,
      Buffer.from(JSON.stringify({ ...claims, permissions: ['all_all'] })).toString('base64url'),
      signature,
    ].join('.');
    expectCode(await verifier.verify(forged), outcomeCodes.invalid);
    // An ID token (typ JWT, aud = client) is not an access token.
    const unsigned = [Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url'), payload, ''].join('.');
    expectCode(await verifier.verify(unsigned), outcomeCodes.invalid);
  });

  test('a header naming another algorithm than its key is for is invalid, not an error', async () => {
    const token = await machineToken(provider, 'kit-tests', secret, resource);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>;
    const { verifier } = await verifierFor();
    for (const alg of ['RS256', 'PS256', 'EdDSA']) {
      const confused = [Buffer.from(JSON.stringify({ ...claims, alg })).toString('base64url'), payload, signature].join(
        '.',
      );
      expectCode(await verifier.verify(confused), outcomeCodes.invalid);
    }
  });

  test('a token from another issuer (unknown kid, provider reachable) is invalid, never anonymous', async () => {
    const otherStores = await createTestStores();
    const other = await startProviderProcess(otherStores);
    try {
      const otherSecret = registerMachineClient(other, resource, 'kit-tests', ['all_all']);
      const foreign = await machineToken(other, 'kit-tests', otherSecret, resource);
      const { verifier } = await verifierFor();
      expectCode(await verifier.verify(foreign), outcomeCodes.invalid);
    } finally {
      await other.kill();
      await otherStores.dispose();
    }
  });

  test('expired tokens are refused (leeway applies)', async () => {
    const shortStores = await createTestStores();
    // Two seconds: iat is whole seconds, so a one-second token issued late in a second can expire
    // before its first check.
    const short = await startProviderProcess(shortStores, { ACCESS_TOKEN_TTL: '2' });
    try {
      const shortSecret = registerMachineClient(short, resource, 'kit-tests', ['pro_read']);
      const token = await machineToken(short, 'kit-tests', shortSecret, resource);
      const strict = await verifierFor({ issuer: short.url, clockToleranceSeconds: 0 });
      expectCode(await strict.verifier.verify(token), outcomeCodes.verified);
      const exp = decodeJwt(token).exp!;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 + 100 - Date.now())));
      expectCode(await strict.verifier.verify(token), outcomeCodes.expired);
      const lenient = await verifierFor({ issuer: short.url, clockToleranceSeconds: 30 });
      expectCode(await lenient.verifier.verify(token), outcomeCodes.verified);
    } finally {
      await short.kill();
      await shortStores.dispose();
    }
  });

  test('a token signed by the pre-published next key verifies with no extra fetch after a rotation', async () => {
    const { keys, verifier } = await verifierFor();
    const before = keys.status.fetches;
    const rotated = provider.cli('keys', 'rotate');
    assert.equal(rotated.status, 0, rotated.stderr);
    // The provider follows the rotation within its poll interval; tokens then carry the promoted kid.
    const activated = /activated (\S+) \(ES256\)/.exec(rotated.stdout)?.[1];
    assert.ok(activated, rotated.stdout);
    let token = '';
    for (let i = 0; i < 50; i += 1) {
      token = await machineToken(provider, 'kit-tests', secret, resource);
      const kid = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;
      if (kid === activated) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expectCode(await verifier.verify(token), outcomeCodes.verified);
    assert.equal(keys.status.fetches, before, 'the new signing key was already known');
  });
});

describe('when the provider is down or hung', () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let cacheRoot: string;
  let token: string;
  let tamperedKnownKid: string;

  before(async () => {
    cacheRoot = await mkdtemp(path.join(tmpdir(), 'usher-kit-down-'));
    stores = await createTestStores();
    provider = await startProviderProcess(stores);
    const secret = registerMachineClient(provider, resource, 'kit-tests', ['pro_read']);
    token = await machineToken(provider, 'kit-tests', secret, resource);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    tamperedKnownKid = [
      header,
      Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url'),
      signature,
    ].join('.');
  });

  after(async () => {
    await provider?.kill();
    await stores?.dispose();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  const make = async (cacheDir: string) => {
    const keys = new ProviderKeys({
      issuer: provider.url,
      cacheDir,
      refreshCooldownMs: 200,
      timeoutMs: 500,
      backgroundRefreshMs: 60_000,
    });
    await keys.start();
    return { keys, verifier: new TokenVerifier({ issuer: provider.url, audience: resource, keys }) };
  };

  test('hung provider: cached keys verify normally; an unseen kid is degraded anonymous; a forgery with a known kid is 401', async () => {
    const cached = await make(path.join(cacheRoot, 'warm'));
    const cold = path.join(cacheRoot, 'cold');
    provider.hang();
    try {
      expectCode(await cached.verifier.verify(token), outcomeCodes.verified);
      expectCode(await cached.verifier.verify(tamperedKnownKid), outcomeCodes.invalid);
      const started = Date.now();
      const never = await make(cold);
      const outcome = await never.verifier.verify(token);
      expectCode(outcome, outcomeCodes.degraded);
      assert.equal(outcome.degraded, true);
      assert.ok(Date.now() - started < 3000, 'a hung provider costs at most the fetch timeout');
      cached.keys.stop();
      never.keys.stop();
    } finally {
      provider.resume();
    }
  });

  test('killed provider: a restarted resource server still verifies from its disk cache', async () => {
    const dir = path.join(cacheRoot, 'disk');
    const first = await make(dir);
    expectCode(await first.verifier.verify(token), outcomeCodes.verified);
    first.keys.stop();
    await provider.kill();
    const restarted = await make(dir);
    assert.equal(restarted.keys.status.reachable, false);
    expectCode(await restarted.verifier.verify(token), outcomeCodes.verified);
    expectCode(await restarted.verifier.verify(tamperedKnownKid), outcomeCodes.invalid);
    const empty = await make(path.join(cacheRoot, 'empty'));
    expectCode(await empty.verifier.verify(token), outcomeCodes.degraded);
    restarted.keys.stop();
    empty.keys.stop();
  });
});

describe('keys the kit cannot use', () => {
  test('a published key jose cannot import is skipped: its kid is invalid, the process keeps running', async () => {
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'usher-kit-unusable-'));
    const issuer = 'http://127.0.0.1:9';
    // The disk copy is what a restart while the provider is down starts from; an RSA key without `alg`
    // cannot be imported by jose.
    const name = createHash('sha256').update(issuer).digest('hex').slice(0, 16);
    await writeFile(
      path.join(cacheDir, `jwks-${name}.json`),
      JSON.stringify({
        issuer,
        jwksUri: `${issuer}/jwks`,
        fetchedAt: Date.now(),
        keys: [{ kty: 'RSA', kid: 'no-alg', n: 'AQAB', e: 'AQAB' }],
      }),
    );
    const keys = new ProviderKeys({ issuer, cacheDir, refreshCooldownMs: 60_000, timeoutMs: 200 });
    try {
      await keys.start();
      assert.deepEqual(keys.status.kids, ['no-alg']);
      const verifier = new TokenVerifier({ issuer, audience: resource, keys });
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const token = [encode({ alg: 'RS256', kid: 'no-alg', typ: 'at+jwt' }), encode({ sub: 'x' }), 'AAAA'].join('.');
      expectCode(await verifier.verify(token), outcomeCodes.invalid);
    } finally {
      keys.stop();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
