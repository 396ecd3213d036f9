import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { Registry } from 'prom-client';
import { acceptRequestId, createLogger, runWithRequestId } from '@usher/platform';
import {
  createTestStores,
  LogCapture,
  machineToken,
  type ProviderProcess,
  registerMachineClient,
  startProviderProcess,
  type TestStores,
} from '@usher/test-support';
import { authenticate, can, ProviderKeys, requirePermission, TokenVerifier } from '../src/index.ts';

const resource = 'http://films.kit.test';

describe('Express middleware: subject on the request, 401/403 answers, degraded header', () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let server: Server;
  let base: string;
  let cacheDir: string;
  let keys: ProviderKeys;
  let subscriber: string;
  let viewer: string;
  const registry = new Registry();
  const logs = new LogCapture();
  const degradedLogIntervalMs = 3000;
  /** The pino lines with `msg`, parsed. */
  const logLines = (msg: string) =>
    logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === msg);

  before(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'usher-kit-express-'));
    stores = await createTestStores();
    provider = await startProviderProcess(stores);
    const subscriberSecret = registerMachineClient(provider, resource, 'subscriber-client', ['pro_read']);
    const viewerSecret = registerMachineClient(provider, resource, 'viewer-client', ['can_view_file']);
    subscriber = await machineToken(provider, 'subscriber-client', subscriberSecret, resource);
    viewer = await machineToken(provider, 'viewer-client', viewerSecret, resource);
    keys = new ProviderKeys({ issuer: provider.url, cacheDir, refreshCooldownMs: 100, timeoutMs: 500 });
    await keys.start();
    const verifier = new TokenVerifier({ issuer: provider.url, audience: resource, keys });
    const app = express();
    // The request context a service sets up (films' requestLogging does the same).
    app.use((req, _res, next) => runWithRequestId(acceptRequestId(req.get('x-request-id')), next));
    const logger = createLogger({ service: 'kit-test', level: 'info', destination: logs });
    app.use(authenticate(verifier, { registry, logger, degradedLogIntervalMs }));
    app.get('/whoami', (req, res) => {
      res.json({
        sub: req.auth?.subject?.sub ?? null,
        subscriber: can(req.auth?.subject, { any: ['pro_read', 'all_all'] }),
      });
    });
    app.get('/premium', requirePermission({ any: ['pro_read'] }), (_req, res) => {
      res.json({ ok: true });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    keys?.stop();
    server?.close();
    await provider?.kill();
    await stores?.dispose();
    await rm(cacheDir, { recursive: true, force: true });
  });

  const get = (pathname: string, token?: string, requestId?: string) =>
    fetch(base + pathname, {
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
    });

  test('the verified subject and its permissions reach the handler; anonymous callers too', async () => {
    assert.deepEqual(await (await get('/whoami', subscriber)).json(), { sub: 'subscriber-client', subscriber: true });
    assert.deepEqual(await (await get('/whoami', viewer)).json(), { sub: 'viewer-client', subscriber: false });
    const anonymous = await get('/whoami');
    assert.deepEqual(await anonymous.json(), { sub: null, subscriber: false });
    assert.equal(anonymous.headers.get('x-auth-degraded'), null);
  });

  test('a bad token is 401 invalid_token problem+json; a missing permission is 403 insufficient_scope', async () => {
    const bad = await get('/whoami', `${subscriber}x`, 'refused-1');
    assert.equal(bad.status, 401);
    const refused = logLines('bearer token refused').filter((line) => line.requestId === 'refused-1');
    assert.equal(refused.length, 1, 'the refusal is logged with the request id');
    assert.equal(refused[0]!.outcome, 'USHER_TOKEN_INVALID');
    assert.match(bad.headers.get('www-authenticate')!, /^Bearer error="invalid_token"/);
    assert.equal(bad.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const body = (await bad.json()) as { status: number; type: string; title: string };
    assert.equal(body.status, 401);
    const malformedHeader = await fetch(`${base}/whoami`, { headers: { authorization: 'Bearer' } });
    assert.equal(malformedHeader.status, 401);
    const forbidden = await get('/premium', viewer);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.headers.get('www-authenticate'), 'Bearer error="insufficient_scope"');
    const anonymous = await get('/premium');
    assert.equal(anonymous.status, 401);
    assert.equal((await get('/premium', subscriber)).status, 200);
  });

  test('degraded answers carry X-Auth-Degraded: 1 and count in metrics', async () => {
    provider.hang();
    // Within the refresh cooldown after a successful fetch an unseen kid is simply not the
    // provider's (401); past it, the kit must ask, and the provider cannot answer.
    await new Promise((resolve) => setTimeout(resolve, 150));
    try {
      // A token whose kid this server never saw, while the provider cannot answer.
      const [, payload, signature] = subscriber.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'never-published' })).toString(
        'base64url',
      );
      const unknownKid = [header, payload, signature].join('.');
      const started = Date.now();
      const response = await get('/whoami', unknownKid, 'degraded-1');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-auth-degraded'), '1');
      assert.deepEqual(await response.json(), { sub: null, subscriber: false });
      // An outage must not write a line per request: one now, then one per period with a count.
      const warned = () => logLines('serving anonymously: provider keys unavailable');
      assert.equal(warned().length, 1);
      assert.equal(warned()[0]!.requestId, 'degraded-1');
      assert.equal(warned()[0]!.degradedRequests, 1);
      assert.equal(warned()[0]!.level, 40);
      const within = await Promise.all([2, 3, 4].map((index) => get('/whoami', unknownKid, `degraded-${index}`)));
      for (const answer of within) assert.equal(answer.headers.get('x-auth-degraded'), '1');
      assert.ok(Date.now() - started < degradedLogIntervalMs, 'the requests fell within one period');
      assert.equal(warned().length, 1, 'requests within the period are counted, not logged');
      await new Promise((resolve) => setTimeout(resolve, degradedLogIntervalMs - (Date.now() - started) + 50));
      await get('/whoami', unknownKid, 'degraded-5');
      assert.equal(warned().length, 2);
      assert.equal(warned()[1]!.requestId, 'degraded-5');
      assert.equal(warned()[1]!.degradedRequests, 4, 'degraded-2 to degraded-5');
      // The cached key still serves subscribers.
      assert.deepEqual(await (await get('/whoami', subscriber)).json(), { sub: 'subscriber-client', subscriber: true });
    } finally {
      provider.resume();
    }
    const metrics = await registry.metrics();
    assert.match(metrics, /usher_token_checks_total\{outcome="USHER_KEYS_UNAVAILABLE"\} 5/);
    assert.match(metrics, /usher_token_checks_total\{outcome="USHER_TOKEN_VERIFIED"\} [1-9]/);
  });
});
