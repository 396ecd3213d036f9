import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  BadRequest,
  Conflict,
  Forbidden,
  HttpProblem,
  NotFound,
  ServiceUnavailable,
  StoreUnavailable,
  TooManyRequests,
  Unauthorized,
  acceptRequestId,
  currentRequestId,
  httpFetch,
  problemContentType,
  requestIdHeader,
  runWithRequestId,
  toProblem,
} from '../src/index.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('problem details (RFC 9457)', () => {
  test('the content type is application/problem+json', () => {
    assert.equal(problemContentType, 'application/problem+json');
  });

  const cases: [HttpProblem, number, string, string, string][] = [
    [new BadRequest('name is required'), 400, 'bad-request', 'Bad Request', 'name is required'],
    [new Unauthorized(), 401, 'unauthorized', 'Unauthorized', 'Authentication is required'],
    [new Forbidden('admins only'), 403, 'forbidden', 'Forbidden', 'admins only'],
    [new NotFound(), 404, 'not-found', 'Not Found', 'Not found'],
    [new Conflict('email taken'), 409, 'conflict', 'Conflict', 'email taken'],
    [new TooManyRequests(30), 429, 'too-many-requests', 'Too Many Requests', 'Too many requests, try again later'],
    [new ServiceUnavailable(), 503, 'service-unavailable', 'Service Unavailable', 'Service unavailable'],
  ];
  for (const [problem, status, slug, title, detail] of cases) {
    test(`${problem.constructor.name} is a ${status} with type, title, status and detail`, () => {
      assert.ok(problem instanceof HttpProblem);
      assert.ok(problem instanceof Error);
      assert.equal(problem.status, status);
      assert.deepEqual(problem.toBody(), {
        type: `https://usher.dev/problems/${slug}`,
        title,
        status,
        detail,
      });
      // The body survives the wire unchanged.
      assert.deepEqual(JSON.parse(JSON.stringify(problem.toBody())), problem.toBody());
    });
  }

  test('extensions are merged into the body', () => {
    const problem = new BadRequest('invalid fields', { fields: ['email'] });
    assert.deepEqual(problem.toBody(), {
      type: 'https://usher.dev/problems/bad-request',
      title: 'Bad Request',
      status: 400,
      detail: 'invalid fields',
      fields: ['email'],
    });
    assert.deepEqual(new Conflict('taken', { field: 'email' }).toBody().field, 'email');
  });

  test('headers travel with the problem', () => {
    const challenge = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };
    assert.deepEqual(new Unauthorized('token expired', challenge).headers, challenge);
    assert.deepEqual(new Forbidden().headers, {});
    assert.deepEqual(new NotFound().headers, {});
  });

  test('TooManyRequests sets Retry-After in whole seconds, at least 1', () => {
    assert.equal(new TooManyRequests(30).headers['Retry-After'], '30');
    assert.equal(new TooManyRequests(2.1).headers['Retry-After'], '3');
    assert.equal(new TooManyRequests(0).headers['Retry-After'], '1');
    assert.equal(new TooManyRequests(-5).headers['Retry-After'], '1');
    assert.equal(new TooManyRequests(10, 'slow down').toBody().detail, 'slow down');
  });
});

describe('toProblem', () => {
  test('passes problems through unchanged', () => {
    const problem = new Conflict('email taken');
    assert.equal(toProblem(problem), problem);
  });

  test('turns an unknown error into a bare 500 without its message', () => {
    for (const thrown of [
      new Error('connection to 10.0.0.5 refused, password=hunter2'),
      'a string',
      null,
      undefined,
      { status: 500, message: 'internal detail' },
      { status: 302, message: 'redirect detail' },
      { status: '404', message: 'not a number' },
    ]) {
      const problem = toProblem(thrown);
      assert.equal(problem.status, 500);
      const body = JSON.stringify(problem.toBody());
      assert.doesNotMatch(body, /10\.0\.0\.5|hunter2|internal detail|redirect detail|not a number/);
      assert.equal(problem.toBody().title, 'Internal Server Error');
      assert.equal(problem.toBody().type, 'https://usher.dev/problems/internal');
    }
  });

  test('keeps the status and message of 4xx errors from frameworks', () => {
    const payloadTooLarge = Object.assign(new Error('request entity too large'), { status: 413, expose: true });
    const problem = toProblem(payloadTooLarge);
    assert.equal(problem.status, 413);
    assert.equal(problem.toBody().status, 413);
    assert.equal(problem.toBody().detail, 'request entity too large');
    assert.equal(toProblem(Object.assign(new Error('bad json'), { status: 400 })).status, 400);
  });

  test('turns a store that is down into a 503 with Retry-After, saying nothing of its cause', () => {
    const problem = toProblem(new StoreUnavailable('database', 'connect ECONNREFUSED 10.0.0.5:5432'));
    assert.equal(problem.status, 503);
    assert.equal(problem.headers['Retry-After'], '5');
    assert.equal(problem.toBody().type, 'https://usher.dev/problems/service-unavailable');
    assert.doesNotMatch(JSON.stringify(problem.toBody()), /10\.0\.0\.5/);
  });

  test('gives a framework 4xx error the title of its status', () => {
    const problem = toProblem(Object.assign(new Error('no such route'), { status: 404 }));
    assert.equal(problem.toBody().title, 'Not Found');
    assert.equal(problem.toBody().type, 'https://usher.dev/problems/not-found');
    const tooLarge = toProblem(Object.assign(new Error('too big'), { status: 413 }));
    assert.equal(tooLarge.toBody().title, 'Payload Too Large');
  });
});

describe('request ids', () => {
  test('acceptRequestId keeps a sane incoming id', () => {
    for (const id of ['abc-123', 'f3b1c2d4-0000-4000-8000-000000000000', 'svc.api:7@edge/1+2=3_x', 'a'.repeat(128)]) {
      assert.equal(acceptRequestId(id), id);
    }
    assert.equal(acceptRequestId(['first-id', 'second-id']), 'first-id');
  });

  test('acceptRequestId replaces absent, too long or garbage ids with a UUID', () => {
    const rejected: (string | string[] | undefined)[] = [
      undefined,
      '',
      [],
      'a'.repeat(129),
      'has space',
      'line\nbreak',
      '<script>alert(1)</script>',
      'id;drop',
      'naïve',
    ];
    for (const incoming of rejected) {
      const id = acceptRequestId(incoming);
      assert.match(id, uuid, JSON.stringify(incoming));
    }
    assert.notEqual(acceptRequestId(undefined), acceptRequestId(undefined));
  });

  test('runWithRequestId scopes the id to the call, including async continuations', async () => {
    assert.equal(currentRequestId(), undefined);
    const seen = await runWithRequestId('outer', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const inner = runWithRequestId('inner', () => currentRequestId());
      return [currentRequestId(), inner];
    });
    assert.deepEqual(seen, ['outer', 'inner']);
    assert.equal(currentRequestId(), undefined);
  });
});

describe('httpFetch', () => {
  let server: Server;
  let baseUrl: string;
  const received: IncomingHttpHeaders[] = [];

  before(async () => {
    server = createServer((request, response) => {
      received.push(request.headers);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ requestId: request.headers[requestIdHeader] ?? null }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const requestIdSeen = async (response: Response) =>
    ((await response.json()) as { requestId: string | null }).requestId;

  test('forwards the current request id', async () => {
    const response = await runWithRequestId('req-forwarded-1', () => httpFetch(`${baseUrl}/introspect`));
    assert.equal(response.status, 200);
    assert.equal(await requestIdSeen(response), 'req-forwarded-1');
  });

  test('sends no request id outside a request', async () => {
    const response = await httpFetch(new URL('/plain', baseUrl));
    assert.equal(await requestIdSeen(response), null);
  });

  test('does not override an explicit request id header, in any casing or form', async () => {
    const explicit = await runWithRequestId('from-context', () =>
      httpFetch(`${baseUrl}/a`, { headers: { 'X-Request-Id': 'explicit-id' } }),
    );
    assert.equal(await requestIdSeen(explicit), 'explicit-id');
    const asHeaders = await runWithRequestId('from-context', () =>
      httpFetch(`${baseUrl}/b`, { headers: new Headers([['x-request-id', 'explicit-2']]) }),
    );
    assert.equal(await requestIdSeen(asHeaders), 'explicit-2');
  });

  test('keeps the caller’s other headers, method and body', async () => {
    const before = received.length;
    const response = await runWithRequestId('req-post', () =>
      httpFetch(`${baseUrl}/post`, {
        method: 'POST',
        headers: { authorization: 'Bearer abc', 'content-type': 'text/plain' },
        body: 'payload',
      }),
    );
    assert.equal(await requestIdSeen(response), 'req-post');
    const headers = received[before];
    assert.equal(headers?.authorization, 'Bearer abc');
    assert.equal(headers?.['content-type'], 'text/plain');
    assert.equal(headers?.['content-length'], '7');
  });
});
