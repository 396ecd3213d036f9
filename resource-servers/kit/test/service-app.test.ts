import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createLogger,
  createServiceMetrics,
  HttpProblem,
  openDatabase,
  openKeyValueStore,
  securityHeaders,
  type Database,
  type KeyValueStore,
} from '@usher/platform';
import { z } from 'zod';
import {
  createServiceApp,
  defaultFailureProblem,
  problemAnswer,
  problemRenderer,
  ProviderKeys,
  requirePermission,
  requireUser,
  TokenVerifier,
  validate,
  type ErrorRenderer,
  type Failure,
} from '../src/index.ts';
import { LogCapture } from '@usher/test-support';
import { startStandInIssuer, type StandInIssuer } from './stand-in-issuer.ts';

const audience = 'http://things.kit.test';
const thingId = '0b9c5e4e-3f7a-4c43-9d3e-2a7f6f3f1a01';

/** Files' contract (CONTRACTS 4): problem+json plus an `error` code, and 400 for bad input. */
const filesCodes: Record<Failure['kind'], string> = {
  unauthenticated: 'Auth.Error.TokenMissed',
  'invalid-token': 'Auth.Error.TokenMissed',
  forbidden: 'Auth.Error.NoPermission',
  'validation-failed': 'Request.Error.Validation',
  'malformed-body': 'Request.Error.Validation',
  'body-too-large': 'Request.Error.Validation',
  'not-found': 'Request.Error.NotFound',
  'method-not-allowed': 'Request.Error.MethodNotAllowed',
  unavailable: 'CdnServer.ConnectionError',
  internal: 'Server.Error',
};
const filesLike: ErrorRenderer = {
  render(failure) {
    const problem = defaultFailureProblem(failure);
    const answer =
      failure.kind === 'validation-failed'
        ? problemAnswer(new HttpProblem(400, 'validation', 'Bad Request', 'Request parameters are invalid'))
        : problemAnswer(problem);
    return { ...answer, body: { ...(answer.body as object), error: filesCodes[failure.kind] } };
  },
};

/** The messenger's contract (CONTRACTS 5): `{"message": "<code>"}`, plain JSON. */
const messengerLike: ErrorRenderer = {
  render(failure) {
    const message = (status: number, code: string, headers: Record<string, string> = {}) => ({
      status,
      body: { message: code },
      headers,
    });
    switch (failure.kind) {
      case 'unauthenticated':
        return message(401, 'auth-failed');
      case 'invalid-token':
        return message(401, failure.code === 'USHER_TOKEN_EXPIRED' ? 'session-id-expired' : 'invalid-session-id', {
          'WWW-Authenticate': 'Bearer error="invalid_token"',
        });
      case 'forbidden':
        return message(403, 'forbidden');
      case 'validation-failed':
      case 'malformed-body':
      case 'body-too-large':
        return message(400, 'bad-parameters');
      case 'not-found':
        return message(404, 'not-found');
      case 'method-not-allowed':
        return message(405, 'method-not-allowed', { Allow: failure.allow.join(', ') });
      case 'unavailable':
        return message(503, 'service-unavailable');
      case 'internal':
        return message(500, 'internal-error');
    }
  },
};

interface RunningApp {
  url: string;
  logs: LogCapture;
  server: Server;
}

describe('the Express layer: routes, failures through each renderer, validate, request ids, ops routes', () => {
  let standIn: StandInIssuer;
  let keys: ProviderKeys;
  let verifier: TokenVerifier;
  let cacheDir: string;
  let store: KeyValueStore;
  /** A database nobody listens for: every query fails to connect. */
  let unreachable: Database;
  let reader: string;
  let visitor: string;
  let bucketUp = true;
  const apps: Record<'problem' | 'files' | 'messenger', RunningApp> = {} as never;

  async function start(renderer: ErrorRenderer | undefined): Promise<RunningApp> {
    const logs = new LogCapture();
    const logger = createLogger({ service: 'things', level: 'info', destination: logs });
    const things = validate({
      params: z.object({ id: z.uuid({ error: 'must be a UUID' }) }),
      query: z.object({ limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(100).default(10) }),
    });
    const newThing = validate({ body: z.object({ name: z.string({ error: 'must be a string' }).min(1).max(10) }) });
    const { app } = createServiceApp({
      logger,
      metrics: createServiceMetrics('things'),
      ...(renderer ? { renderer } : {}),
      readiness: { store, probes: { bucket: async () => bucketUp } },
      auth: { verifier },
      bodyLimit: '1kb',
      routes(routes) {
        routes.get('/things/:id', things, (req, res) => {
          res.json(things.input(req));
        });
        routes.post('/things', requireUser(), newThing, (req, res) => {
          res.status(201).json({ created: newThing.input(req).body.name });
        });
        routes.get('/private', requirePermission({ any: ['things_read'] }), (_req, res) => {
          res.json({ ok: true });
        });
        routes.get('/log', (_req, res) => {
          logger.info('inside the handler');
          res.json({ ok: true });
        });
        routes.get('/boom', () => {
          throw new Error('secret internal detail');
        });
        routes.get('/db', async (_req, res) => {
          res.json(await unreachable.knex.raw('select 1'));
        });
      },
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, logs, server };
  }

  before(async () => {
    standIn = await startStandInIssuer();
    cacheDir = await mkdtemp(path.join(tmpdir(), 'usher-kit-app-'));
    keys = new ProviderKeys({ issuer: standIn.issuer, cacheDir, refreshCooldownMs: 60_000 });
    await keys.start();
    verifier = new TokenVerifier({ issuer: standIn.issuer, audience, keys });
    store = openKeyValueStore(undefined, 'kit-test:');
    unreachable = await openDatabase({
      databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere',
      dataDir: cacheDir,
      schema: 'nowhere',
    });
    reader = await standIn.sign(audience, { permissions: ['things_read'] });
    visitor = await standIn.sign(audience, { permissions: [] });
    apps.problem = await start(undefined);
    apps.files = await start(filesLike);
    apps.messenger = await start(messengerLike);
    // The default renderer is the kit's problem+json.
    assert.equal(problemRenderer.render({ kind: 'not-found' }).status, 404);
  });

  after(async () => {
    for (const app of Object.values(apps)) app?.server.close();
    keys?.stop();
    standIn?.close();
    await store?.close();
    await unreachable?.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  const call = (app: RunningApp, method: string, pathname: string, options: { token?: string; body?: string } = {}) =>
    fetch(app.url + pathname, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: options.body } : {}),
    });

  /** One request per failure kind, and what each of the three renderers answers to it. */
  const cases: {
    kind: Failure['kind'];
    request: [string, string, { token?: string; body?: string }?];
    problem: number;
    files: number;
    messenger: [number, string];
    headers?: Record<string, string>;
  }[] = [
    { kind: 'not-found', request: ['GET', '/nowhere'], problem: 404, files: 404, messenger: [404, 'not-found'] },
    {
      kind: 'method-not-allowed',
      request: ['DELETE', `/things/${thingId}`],
      problem: 405,
      files: 405,
      messenger: [405, 'method-not-allowed'],
      headers: { allow: 'GET, HEAD' },
    },
    {
      kind: 'unauthenticated',
      request: ['POST', '/things', { body: '{"name":"a"}' }],
      problem: 401,
      files: 401,
      messenger: [401, 'auth-failed'],
    },
    {
      kind: 'invalid-token',
      request: ['GET', '/log', { token: 'not-a-token' }],
      problem: 401,
      files: 401,
      messenger: [401, 'invalid-session-id'],
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    },
    {
      kind: 'forbidden',
      request: ['GET', '/private', { token: '{visitor}' }],
      problem: 403,
      files: 403,
      messenger: [403, 'forbidden'],
    },
    {
      kind: 'validation-failed',
      request: ['GET', '/things/not-a-uuid?limit=0'],
      problem: 422,
      files: 400,
      messenger: [400, 'bad-parameters'],
    },
    {
      kind: 'malformed-body',
      request: ['POST', '/things', { token: '{visitor}', body: '{"name":' }],
      problem: 400,
      files: 400,
      messenger: [400, 'bad-parameters'],
    },
    {
      kind: 'body-too-large',
      request: ['POST', '/things', { token: '{visitor}', body: JSON.stringify({ name: 'x'.repeat(2000) }) }],
      problem: 413,
      files: 413,
      messenger: [400, 'bad-parameters'],
    },
    { kind: 'internal', request: ['GET', '/boom'], problem: 500, files: 500, messenger: [500, 'internal-error'] },
    {
      kind: 'unavailable',
      request: ['GET', '/db'],
      problem: 503,
      files: 503,
      messenger: [503, 'service-unavailable'],
    },
  ];

  const send = (app: RunningApp, [method, pathname, options = {}]: (typeof cases)[number]['request']) =>
    call(app, method, pathname, {
      ...options,
      ...(options.token ? { token: options.token === '{visitor}' ? visitor : options.token } : {}),
    });

  test('problem+json (the kit’s default renderer): every failure kind, its status and body', async () => {
    for (const expected of cases) {
      const response = await send(apps.problem, expected.request);
      assert.equal(response.status, expected.problem, expected.kind);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8', expected.kind);
      const body = (await response.json()) as { type: string; title: string; status: number; detail: string };
      assert.equal(body.status, expected.problem, expected.kind);
      assert.match(body.type, /^https:\/\/usher\.dev\/problems\//, expected.kind);
      assert.ok(body.title && body.detail, expected.kind);
      assert.doesNotMatch(JSON.stringify(body), /secret internal detail|ECONNREFUSED|at .*\.ts/, expected.kind);
      for (const [name, value] of Object.entries(expected.headers ?? {}))
        assert.ok(response.headers.get(name)?.startsWith(value), `${expected.kind}: ${name}`);
    }
  });

  test('problem+json with an error code (files): the service maps kinds to its own statuses and codes', async () => {
    for (const expected of cases) {
      const response = await send(apps.files, expected.request);
      assert.equal(response.status, expected.files, expected.kind);
      assert.match(response.headers.get('content-type')!, /^application\/problem\+json/, expected.kind);
      const body = (await response.json()) as { status: number; error: string };
      assert.equal(body.status, expected.files, expected.kind);
      assert.equal(body.error, filesCodes[expected.kind], expected.kind);
    }
  });

  test('{"message": code} (messenger): plain JSON, nothing else in the body', async () => {
    for (const expected of cases) {
      const response = await send(apps.messenger, expected.request);
      assert.equal(response.status, expected.messenger[0], expected.kind);
      assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8', expected.kind);
      assert.deepEqual(await response.json(), { message: expected.messenger[1] }, expected.kind);
      for (const [name, value] of Object.entries(expected.headers ?? {}))
        assert.ok(response.headers.get(name)?.startsWith(value), `${expected.kind}: ${name}`);
    }
  });

  test('validate(): every failing input named once, path first, then query, then body; parsed values reach the handler', async () => {
    const errors = async (pathname: string, init: { method?: string; body?: string; token?: string } = {}) => {
      const response = await call(apps.problem, init.method ?? 'GET', pathname, init);
      assert.equal(response.status, 422, pathname);
      return ((await response.json()) as { errors: { loc: string[]; msg: string }[] }).errors;
    };
    assert.deepEqual(await errors('/things/nope?limit=abc'), [
      { loc: ['path', 'id'], msg: 'must be a UUID' },
      { loc: ['query', 'limit'], msg: 'must be a number' },
    ]);
    assert.deepEqual(await errors(`/things/${thingId}?limit=1&limit=2`), [
      { loc: ['query', 'limit'], msg: 'must be given once' },
    ]);
    const post = (body: string) => errors('/things', { method: 'POST', body, token: visitor });
    assert.deepEqual(await post('{}'), [{ loc: ['body', 'name'], msg: 'field required' }]);
    assert.deepEqual(await post('[1]'), [{ loc: ['body', 'name'], msg: 'field required' }], 'not an object');
    assert.deepEqual(await post('{"name": 5}'), [{ loc: ['body', 'name'], msg: 'must be a string' }]);
    const ok = await call(apps.problem, 'GET', `/things/${thingId}?limit=7&other=ignored`);
    assert.deepEqual(await ok.json(), { params: { id: thingId }, query: { limit: 7 }, body: {} });
    const created = await call(apps.problem, 'POST', '/things', { token: reader, body: '{"name":"box","x":1}' });
    assert.deepEqual([created.status, await created.json()], [201, { created: 'box' }]);
  });

  test('X-Request-Id is echoed or made, and every line logged for the request carries it', async () => {
    const echoed = await call(apps.problem, 'GET', '/log');
    assert.match(echoed.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    const given = await fetch(`${apps.problem.url}/log`, {
      headers: { 'x-request-id': 'kit-request-1', authorization: 'Bearer not-a-token' },
    });
    assert.equal(given.status, 401);
    assert.equal(given.headers.get('x-request-id'), 'kit-request-1');
    const insane = await fetch(`${apps.problem.url}/log`, { headers: { 'x-request-id': 'no spaces allowed' } });
    assert.match(insane.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    const handled = await fetch(`${apps.problem.url}/log`, { headers: { 'x-request-id': 'kit-request-2' } });
    assert.equal(handled.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = apps.problem.logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const of = (id: string) => lines.filter((line) => line.requestId === id).map((line) => line.msg);
    assert.deepEqual(of('kit-request-1'), ['bearer token refused', 'request']);
    assert.deepEqual(of('kit-request-2'), ['inside the handler', 'request']);
    const requestLine = lines.find((line) => line.requestId === 'kit-request-2' && line.msg === 'request')!;
    assert.deepEqual(
      (({ method, path: at, status, auth, degraded }) => ({ method, at, status, auth, degraded }))(requestLine),
      { method: 'GET', at: '/log', status: 200, auth: 'USHER_TOKEN_ABSENT', degraded: false },
    );
    assert.equal(typeof requestLine.ms, 'number');
    // Every line of every request says which request it belongs to.
    const handlerLines = lines.filter((line) => line.msg === 'inside the handler' || line.msg === 'request');
    for (const line of handlerLines) assert.equal(typeof line.requestId, 'string', JSON.stringify(line));
  });

  test('security headers on every answer: success, refusal, unknown path, failure', async () => {
    for (const [method, pathname, token] of [
      ['GET', '/log'],
      ['GET', '/log', 'not-a-token'],
      ['GET', '/nowhere'],
      ['GET', '/boom'],
      ['GET', '/healthz'],
    ] as const) {
      const response = await call(apps.messenger, method, pathname, token ? { token } : {});
      for (const [name, value] of securityHeaders)
        assert.equal(response.headers.get(name), value, `${pathname} ${name}`);
      assert.equal(response.headers.get('x-powered-by'), null);
    }
  });

  test('/healthz always; /readyz 503 naming the failing probe, 200 when it answers again; /metrics', async () => {
    assert.deepEqual(await (await call(apps.problem, 'GET', '/healthz')).json(), { status: 'ok' });
    const ready = await call(apps.problem, 'GET', '/readyz');
    assert.deepEqual(
      [ready.status, await ready.json()],
      [200, { status: 'ready', checks: { memory_store: true, bucket: true } }],
    );
    bucketUp = false;
    try {
      const down = await call(apps.problem, 'GET', '/readyz');
      assert.deepEqual(
        [down.status, await down.json()],
        [503, { status: 'unavailable', checks: { memory_store: true, bucket: false } }],
      );
      assert.equal(down.headers.get('cache-control'), 'no-store');
      assert.equal((await call(apps.problem, 'GET', '/healthz')).status, 200);
    } finally {
      bucketUp = true;
    }
    assert.equal((await call(apps.problem, 'GET', '/readyz')).status, 200);
    const metrics = await (await call(apps.problem, 'GET', '/metrics')).text();
    assert.match(metrics, /usher_token_checks_total\{outcome="USHER_TOKEN_INVALID",service="things"\} [1-9]/);
    assert.match(
      metrics,
      /usher_http_request_duration_seconds_count\{service="things",route="\/things\/\{id\}",status="422"\} [1-9]/,
    );
    assert.match(
      metrics,
      /usher_http_request_duration_seconds_count\{service="things",route="unmatched",status="404"\}/,
    );
    assert.doesNotMatch(metrics, /not-a-uuid/);
  });
});
