/**
 * What the machine running the tests says, read in this one module (the only one in test-support
 * that reads process.env): which stores to test on, where they are, where Chromium is, and the
 * part of this run's environment a child process may inherit.
 */

/** USHER_TEST_STORES: the machine's PostgreSQL and Redis (`real`, the default) or the embedded defaults. */
export const storeMode = (process.env.USHER_TEST_STORES ?? 'real') as 'real' | 'embedded';

/** A PostgreSQL server the tests may create and drop databases on (TEST_DATABASE_URL). */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A Redis server the tests may use under their own key prefixes (TEST_REDIS_URL). */
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Debian's Chromium unless CHROMIUM_PATH points elsewhere (never a browser a tool downloads). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * How Node and the system run, never what a service is configured with: a service process started by
 * a test inherits only these, so a DATABASE_URL or REDIS_URL in the shell never points it elsewhere.
 */
const runningEnvironment =
  /^(PATH|HOME|USER|LOGNAME|SHELL|TMPDIR|TMP|TEMP|LANG|LANGUAGE|TZ|LC_[A-Z]+|NODE_OPTIONS|NODE_EXTRA_CA_CERTS|UV_THREADPOOL_SIZE)$/;

/** The part of this run's environment that a service process inherits; its settings go on top. */
export function inheritedEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && runningEnvironment.test(entry[0]),
    ),
  );
}
