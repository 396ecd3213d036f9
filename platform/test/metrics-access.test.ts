import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, env, loadConfig, metricsGuard } from '../src/index.ts';

const token = 'a-metrics-token-of-at-least-32-characters';

test('without METRICS_TOKEN, /metrics is for callers on this host only (by the socket, not a header)', () => {
  const refusal = metricsGuard(undefined);
  for (const local of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1'])
    assert.equal(refusal(undefined, local), null, local);
  for (const remote of ['10.0.0.7', '172.18.0.3', '::ffff:10.0.0.7', '2001:db8::1', undefined]) {
    const answer = refusal(`Bearer ${token}`, remote);
    assert.equal(answer?.status, 403, String(remote));
    assert.match(answer.message, /METRICS_TOKEN/);
  }
});

test('with METRICS_TOKEN, only that bearer token reads /metrics, from anywhere', () => {
  const refusal = metricsGuard(token);
  assert.equal(refusal(`Bearer ${token}`, '10.0.0.7'), null);
  assert.equal(refusal(`bearer  ${token} `, '127.0.0.1'), null);
  for (const authorization of [
    undefined,
    '',
    'Bearer',
    `Bearer ${token}x`,
    `Basic ${token}`,
    `Bearer ${token.slice(1)}`,
  ]) {
    const answer = refusal(authorization, '127.0.0.1');
    assert.equal(answer?.status, 401, String(authorization));
    assert.equal(answer.headers['WWW-Authenticate'], 'Bearer realm="metrics"');
  }
});

test('a METRICS_TOKEN shorter than 32 characters is a configuration error', () => {
  const schema = z.object({ METRICS_TOKEN: env.metricsToken() });
  assert.throws(() => loadConfig(schema, { METRICS_TOKEN: 'short' }), ConfigError);
  assert.equal(loadConfig(schema, { METRICS_TOKEN: token }).METRICS_TOKEN, token);
});
