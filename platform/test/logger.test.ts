import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger, redactedPaths, runWithRequestId } from '../src/index.ts';

/** A logger whose JSON lines are collected for reading back. */
function capture(level?: string) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ service: 'usher-test', destination, ...(level ? { level } : {}) });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

const secrets = {
  password: 'pw-top-level-1',
  client_secret: 'cs-top-level-2',
  old_password: 'pw-old-3',
  new_password: 'pw-new-4',
  secret: 'totp-secret-5',
  token: 'tok-6',
  access_token: 'at-7',
  refresh_token: 'rt-8',
  id_token: 'idt-9',
  privateJwk: { d: 'private-exponent-10', kty: 'EC' },
};

describe('createLogger', () => {
  test('writes JSON lines with the service, level, time and message', () => {
    const { logger, records } = capture();
    logger.info({ userId: 'u1' }, 'signed in');
    const [record] = records();
    assert.equal(record?.service, 'usher-test');
    assert.equal(record?.level, 30);
    assert.equal(record?.msg, 'signed in');
    assert.equal(record?.userId, 'u1');
    assert.match(String(record?.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test('honours the level', () => {
    const { logger, records } = capture('warn');
    logger.info('hidden');
    logger.warn('shown');
    assert.deepEqual(
      records().map((record) => record.msg),
      ['shown'],
    );
  });

  test('redacts top-level secrets', () => {
    const { logger, lines, records } = capture();
    logger.info({ ...secrets, email: 'ada@example.test' }, 'top level');
    const line = lines.join('\n');
    for (const value of [
      'pw-top-level-1',
      'cs-top-level-2',
      'pw-old-3',
      'pw-new-4',
      'totp-secret-5',
      'tok-6',
      'at-7',
      'rt-8',
      'idt-9',
      'private-exponent-10',
    ]) {
      assert.ok(!line.includes(value), `${value} leaked`);
    }
    const [record] = records();
    for (const key of Object.keys(secrets)) assert.equal(record?.[key], '[redacted]', key);
    assert.equal(record?.email, 'ada@example.test'); // ordinary fields stay
  });

  test('redacts secrets one level down', () => {
    const { logger, lines, records } = capture();
    logger.info(
      {
        body: { password: 'nested-pw-11', client_secret: 'nested-cs-12', username: 'ada' },
        tokens: { access_token: 'nested-at-13', refresh_token: 'nested-rt-14', token: 'nested-tok-15' },
        client: { secret: 'nested-secret-16', new_password: 'nested-np-17', old_password: 'nested-op-18' },
        key: { privateJwk: { d: 'nested-d-19' } },
      },
      'nested',
    );
    const line = lines.join('\n');
    for (const value of [
      'nested-pw-11',
      'nested-cs-12',
      'nested-at-13',
      'nested-rt-14',
      'nested-tok-15',
      'nested-secret-16',
      'nested-np-17',
      'nested-op-18',
      'nested-d-19',
    ]) {
      assert.ok(!line.includes(value), `${value} leaked`);
    }
    assert.ok(line.includes('[redacted]'));
    const [record] = records();
    assert.deepEqual(record?.body, { password: '[redacted]', client_secret: '[redacted]', username: 'ada' });
    assert.deepEqual(record?.tokens, { access_token: '[redacted]', refresh_token: '[redacted]', token: '[redacted]' });
  });

  test('redacts authorization and cookie headers of requests and responses', () => {
    const { logger, lines, records } = capture();
    logger.info(
      {
        req: {
          method: 'POST',
          headers: {
            authorization: 'Basic Y2xpZW50OnNlY3JldA==',
            cookie: '_session=cookie-value-20',
            accept: 'text/html',
          },
        },
        res: { statusCode: 302, headers: { 'set-cookie': '_session=set-cookie-value-21; HttpOnly' } },
      },
      'request',
    );
    logger.info({ headers: { authorization: 'Bearer bare-bearer-22', cookie: 'bare-cookie-23' } }, 'outgoing');
    const line = lines.join('\n');
    for (const value of [
      'Y2xpZW50OnNlY3JldA==',
      'cookie-value-20',
      'set-cookie-value-21',
      'bare-bearer-22',
      'bare-cookie-23',
    ]) {
      assert.ok(!line.includes(value), `${value} leaked`);
    }
    const [request, outgoing] = records() as [
      { req: { headers: Record<string, string> }; res: { headers: Record<string, string> } },
      { headers: Record<string, string> },
    ];
    assert.deepEqual(request.req.headers, { authorization: '[redacted]', cookie: '[redacted]', accept: 'text/html' });
    assert.equal(request.res.headers['set-cookie'], '[redacted]');
    assert.deepEqual(outgoing.headers, { authorization: '[redacted]', cookie: '[redacted]' });
  });

  test('does not change the logged object', () => {
    const { logger } = capture();
    const payload = { password: 'kept-in-memory', user: { password: 'also-kept' } };
    logger.info(payload, 'input');
    assert.deepEqual(payload, { password: 'kept-in-memory', user: { password: 'also-kept' } });
  });

  test('child loggers redact too', () => {
    const { logger, lines } = capture();
    logger.child({ requestId: 'req-1' }).info({ password: 'child-pw-24' }, 'child');
    assert.ok(!lines.join('\n').includes('child-pw-24'));
    assert.ok(lines.join('\n').includes('"requestId":"req-1"'));
  });

  test('the redacted paths cover the secrets the services handle', () => {
    for (const path of ['password', '*.password', 'client_secret', '*.client_secret', 'req.headers.authorization']) {
      assert.ok(redactedPaths.includes(path), path);
    }
  });

  test('every line written inside a request context carries its request id, with no logger passed down', () => {
    const { logger, records } = capture();
    runWithRequestId('req-42', () => logger.info('inside'));
    logger.info('outside');
    const [inside, outside] = records();
    assert.equal(inside?.requestId, 'req-42');
    assert.equal(outside?.requestId, undefined);
  });

  test('pretty format writes one readable line per record, secrets still redacted', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger({ service: 'usher-test', destination, format: 'pretty', colorize: false });
    runWithRequestId('req-7', () => logger.info({ password: 'pretty-pw-1', userId: 'u1' }, 'signed in'));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /INFO.*signed in/);
    assert.match(lines[0]!, /"requestId":"req-7"/);
    assert.ok(!lines[0]!.includes('pretty-pw-1'));
    assert.throws(() => JSON.parse(lines[0]!));
  });
});
