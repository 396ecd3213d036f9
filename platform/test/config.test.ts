import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from '../src/index.ts';

const schema = z.object({
  ISSUER: env.url(),
  PORT: env.port(3000),
  SECURE_COOKIES: env.boolean(true),
  SESSION_SECONDS: env.seconds(3600),
  ALLOWED_ORIGINS: env.list().default([]),
});

const valid = { ISSUER: 'https://id.example.test' };

/** Runs `fn`, expecting a ConfigError, and returns it for further checks. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  test('validates, applies defaults and freezes the result', () => {
    const config = loadConfig(schema, { ...valid, PORT: '8080' });
    assert.deepEqual(config, {
      ISSUER: 'https://id.example.test',
      PORT: 8080,
      SECURE_COOKIES: true,
      SESSION_SECONDS: 3600,
      ALLOWED_ORIGINS: [],
    });
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { PORT: number }).PORT = 1;
    }, TypeError);
  });

  test('reads only the keys the schema names', () => {
    const config = loadConfig(schema, { ...valid, UNRELATED: 'x' });
    assert.equal(Object.hasOwn(config, 'UNRELATED'), false);
  });

  test('a missing required setting throws ConfigError naming the variable', () => {
    const error = configError(() => loadConfig(schema, {}));
    assert.equal(error.name, 'ConfigError');
    assert.match(error.message, /ISSUER/);
    assert.equal(error.issues.length, 1);
    assert.match(error.issues[0] ?? '', /^ISSUER: /);
  });

  test('a malformed setting throws ConfigError naming the variable', () => {
    const error = configError(() => loadConfig(schema, { ...valid, PORT: 'eighty' }));
    assert.match(error.message, /PORT/);
    assert.doesNotMatch(error.message, /ISSUER/);
  });

  test('every bad setting is reported at once', () => {
    const error = configError(() =>
      loadConfig(schema, { ISSUER: 'ftp://files.example.test', SECURE_COOKIES: 'maybe' }),
    );
    assert.equal(error.issues.length, 2);
    assert.match(error.message, /ISSUER/);
    assert.match(error.message, /SECURE_COOKIES/);
  });

  test('empty strings count as unset: defaults apply and required settings are missing', () => {
    const config = loadConfig(schema, { ...valid, PORT: '', SECURE_COOKIES: '', SESSION_SECONDS: '' });
    assert.equal(config.PORT, 3000);
    assert.equal(config.SECURE_COOKIES, true);
    assert.equal(config.SESSION_SECONDS, 3600);
    const error = configError(() => loadConfig(schema, { ISSUER: '' }));
    assert.match(error.message, /ISSUER/);
  });

  test('blank strings count as unset too, so a stray space is not port 0', () => {
    const config = loadConfig(schema, { ...valid, PORT: ' ', SESSION_SECONDS: '\t' });
    assert.equal(config.PORT, 3000);
    assert.equal(config.SESSION_SECONDS, 3600);
    assert.match(configError(() => loadConfig(schema, { ISSUER: '  ' })).message, /ISSUER/);
  });

  test('reads process.env when no environment is passed', () => {
    const name = 'USHER_CONFIG_TEST_VALUE';
    process.env[name] = 'from-process';
    try {
      const config = loadConfig(z.object({ [name]: z.string() }));
      assert.equal(config[name], 'from-process');
    } finally {
      delete process.env[name];
    }
  });
});

describe('env helpers', () => {
  /** Loads a one-setting schema and returns the parsed VALUE. */
  const parse = <T extends z.ZodType>(type: T, value: string | undefined): z.infer<T> => {
    const config: Readonly<Record<string, unknown>> = loadConfig(z.object({ VALUE: type }), { VALUE: value });
    return config.VALUE as z.infer<T>;
  };

  test('boolean accepts 1/0, true/false, yes/no and falls back to its default', () => {
    for (const value of ['1', 'true', 'yes']) assert.equal(parse(env.boolean(false), value), true, value);
    for (const value of ['0', 'false', 'no']) assert.equal(parse(env.boolean(true), value), false, value);
    assert.equal(parse(env.boolean(true), undefined), true);
    assert.equal(parse(env.boolean(false), undefined), false);
  });

  test('boolean rejects anything else', () => {
    for (const value of ['on', 'TRUE', '2']) {
      const error = configError(() => parse(env.boolean(false), value));
      assert.match(error.message, /VALUE/);
    }
  });

  test('list splits on commas, trims and drops empty items', () => {
    assert.deepEqual(parse(env.list(), ' a , b,,c ,'), ['a', 'b', 'c']);
    assert.deepEqual(parse(env.list(), 'single'), ['single']);
    assert.deepEqual(parse(env.list().default([]), undefined), []);
  });

  test('port coerces integers from 0 to 65535 and has a default', () => {
    assert.equal(parse(env.port(3000), '0'), 0);
    assert.equal(parse(env.port(3000), '65535'), 65535);
    assert.equal(parse(env.port(3000), undefined), 3000);
    for (const value of ['65536', '-1', '80.5', 'http']) {
      const error = configError(() => parse(env.port(3000), value));
      assert.match(error.message, /VALUE/, value);
    }
  });

  test('seconds must be a positive integer', () => {
    assert.equal(parse(env.seconds(60), '5'), 5);
    configError(() => parse(env.seconds(60), '0'));
    configError(() => parse(env.seconds(60), '1.5'));
  });

  test('url accepts only http and https', () => {
    assert.equal(parse(env.url(), 'http://localhost:3000'), 'http://localhost:3000');
    configError(() => parse(env.url(), 'javascript:alert(1)'));
    configError(() => parse(env.url(), 'not a url'));
  });
});

describe('env.pairs', () => {
  const receivers = z.object({
    RECEIVERS: env.pairs(':', (_id, secret) => (secret.length >= 16 ? null : 'secret too short')).optional(),
  });

  test('reads comma-separated key:value items, trimming blanks', () => {
    const config = loadConfig(receivers, { RECEIVERS: ' films:0123456789abcdef , ,files:fedcba9876543210:x ' });
    assert.deepEqual(config.RECEIVERS, [
      { key: 'films', value: '0123456789abcdef' },
      { key: 'files', value: 'fedcba9876543210:x' },
    ]);
  });

  test('a malformed item names the variable and the item, never its value', () => {
    const error = configError(() => loadConfig(receivers, { RECEIVERS: 'films:short-secret,nocolon' }));
    assert.deepEqual(error.issues, ['RECEIVERS: item 1: secret too short', 'RECEIVERS: item 2: must be key:value']);
    assert.doesNotMatch(error.message, /short-secret/);
  });
});
