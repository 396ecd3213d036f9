import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { KeyValueStore } from './key-value-store.ts';

export interface RateLimitOptions {
  /** Names the limit; its counters are `rl:<name>:<key>` under the store's prefix. */
  name: string;
  /** Points a key may spend per window (1 or more). */
  points: number;
  /** The window, in seconds from a key's first point. */
  durationSeconds: number;
  /** Once a key spends past its points, it is refused for this long; default: the rest of its window. */
  blockSeconds?: number;
}

/** Where a key stands in its window. */
export interface RateLimitState {
  /** Points spent in the current window (a blocked key counts one past the limit). */
  consumed: number;
  remaining: number;
  /** Seconds until the window or the block ends (rounded up); 0 for a key with nothing spent. */
  resetSeconds: number;
}

/** A refusal carries what a Retry-After header says; the answers never mix. */
export type RateLimitVerdict = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  readonly name: string;
  readonly points: number;
  /** Spends points (default 1): allowed while the key has them, refused (and maybe blocked) past them. */
  consume(key: string, points?: number): Promise<RateLimitVerdict>;
  /** Adds spent points without refusing anything (a failure that counts against a later attempt). */
  penalty(key: string, points?: number): Promise<RateLimitState>;
  /** Gives points back. */
  reward(key: string, points?: number): Promise<RateLimitState>;
  get(key: string): Promise<RateLimitState>;
  /** Refuses the key for `seconds`, whatever it spent. */
  block(key: string, seconds: number): Promise<RateLimitState>;
  /** Forgets the key: its points and any block. */
  reset(key: string): Promise<void>;
}

function wholeNumber(value: number, what: string, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum)
    throw new TypeError(`${what} must be a whole number, ${minimum} or more`);
  return value;
}

const seconds = (ms: number) => (ms > 0 ? Math.ceil(ms / 1000) : 0);

/**
 * A rate limit on rate-limiter-flexible: in Redis when the store has it (through the store's own
 * client, whose key prefix namespaces the counters; every instance shares them), in this process's
 * memory otherwise (counters then belong to this limiter object).
 *
 * On Redis, every limit has an in-process stand-in for when Redis cannot answer (within the store's
 * command timeout): neither fail-open, which would let guessing run
 * unlimited for as long as Redis is out, nor fail-closed, which would turn a cache outage into
 * refused sign-ins and refreshes. Meanwhile each instance counts on its own, so a client spread over
 * N instances gets up to N times the limit; counts start again from Redis once it is back.
 */
export function createRateLimiter(store: KeyValueStore, options: RateLimitOptions): RateLimiter {
  const points = wholeNumber(options.points, 'points', 1);
  const duration = wholeNumber(options.durationSeconds, 'durationSeconds', 1);
  const blockDuration = wholeNumber(options.blockSeconds ?? 0, 'blockSeconds', 0);
  const keyPrefix = `rl:${options.name}`;
  const settings = { keyPrefix, points, duration, blockDuration };
  // The store's prefix in memory too, so a key reads the same in a memory dump as in Redis.
  const memory = new RateLimiterMemory({ ...settings, keyPrefix: `${store.prefix}${keyPrefix}` });
  const redis = store.redis;
  const shared = redis ? new RateLimiterRedis({ ...settings, storeClient: redis, insuranceLimiter: memory }) : null;
  // While the client knows Redis is gone, count in memory at once rather than wait out the command
  // timeout; a client still connecting (just opened) is given its chance, and an error on a call
  // falls back to memory through the insurance limiter.
  const limiter = (): RateLimiterAbstract =>
    shared && !['reconnecting', 'close', 'end'].includes(redis!.status) ? shared : memory;

  const state = (res: RateLimiterRes | null): RateLimitState =>
    res
      ? {
          consumed: res.consumedPoints,
          remaining: Math.max(0, points - res.consumedPoints),
          resetSeconds: seconds(res.msBeforeNext),
        }
      : { consumed: 0, remaining: points, resetSeconds: 0 };
  const spend = (count: number | undefined) => wholeNumber(count ?? 1, 'points to spend', 1);

  return {
    name: options.name,
    points,
    async consume(key, count) {
      try {
        const res = await limiter().consume(key, spend(count));
        return { allowed: true, remaining: res.remainingPoints };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { allowed: false, retryAfterSeconds: Math.max(1, seconds(rejection.msBeforeNext)) };
      }
    },
    async penalty(key, count) {
      return state(await limiter().penalty(key, spend(count)));
    },
    async reward(key, count) {
      return state(await limiter().reward(key, spend(count)));
    },
    async get(key) {
      return state(await limiter().get(key));
    },
    async block(key, blockSeconds) {
      return state(await limiter().block(key, wholeNumber(blockSeconds, 'block seconds', 1)));
    },
    async reset(key) {
      await limiter().delete(key);
    },
  };
}
