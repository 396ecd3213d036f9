import type { KeyValueStore } from '@usher/platform';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { ProviderConfig } from '../config.ts';

export interface Verdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

const allow: Verdict = { allowed: true, retryAfterSeconds: 0 };

/**
 * On Redis, every limit has an in-process stand-in for when Redis cannot answer (at once while it is
 * unreachable, else within its command timeout): neither fail-open, which would let guessing run
 * unlimited for as long as Redis is out, nor fail-closed, which would turn a cache outage into
 * refused sign-ins and refreshes. Meanwhile each instance counts on its own, so a client spread over
 * N instances gets up to N times the limit; counts start again from Redis once it is back.
 */
function limiter(store: KeyValueStore, keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
  const options = { keyPrefix, points, duration, blockDuration: duration };
  if (!store.redis) return new RateLimiterMemory(options);
  return new RateLimiterRedis({
    ...options,
    storeClient: store.redis,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory(options),
  });
}

async function consumed(limit: RateLimiterAbstract | null, key: string): Promise<RateLimiterRes | null> {
  return limit ? limit.get(key) : null;
}

/** One account being guessed: free for the first three failures, then doubling up to 4 s. */
function accountDelayMs(failures: number): number {
  return failures < 3 ? 0 : Math.min(4000, 250 * 2 ** (failures - 3));
}

/**
 * One IP failing across many accounts (credential stuffing): free for the first half of the IP's
 * budget, so people behind one shared NAT who mistype now and then never wait, then a linear climb
 * towards 2 s at the lockout.
 */
function addressDelayMs(failures: number, limit: number): number {
  const free = Math.floor(limit / 2);
  if (limit <= 0 || failures <= free) return 0;
  return Math.min(2000, Math.round((2000 * (failures - free)) / (limit - free)));
}

/**
 * Rate limits on anything guessable: failed sign-ins per account and per IP (each with a progressive
 * delay before the lockout; the longer of the two applies), registrations per IP, password changes per account and refresh-token
 * grants per IP. Redis-backed when configured, so all instances share the counters. A limit of 0
 * switches that limit off.
 */
export function createThrottle(config: ProviderConfig, store: KeyValueStore) {
  const make = (prefix: string, points: number, duration: number) =>
    points > 0 ? limiter(store, `rl:${prefix}`, points, duration) : null;
  const failuresByAccount = make('signin-account', config.RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT, 15 * 60);
  const failuresByIp = make('signin-ip', config.RATE_LIMIT_SIGNIN_FAILURES_PER_IP, 60 * 60);
  const registrations = make('register-ip', config.RATE_LIMIT_REGISTRATIONS_PER_IP, 60 * 60);
  const passwordChanges = make('password-account', config.RATE_LIMIT_PASSWORD_CHANGES_PER_ACCOUNT, 60 * 60);
  const refreshes = make('refresh-ip', config.RATE_LIMIT_REFRESH_PER_MINUTE, 60);

  const accountKey = (email: string) => email.trim().toLowerCase();

  async function take(limit: RateLimiterAbstract | null, key: string): Promise<Verdict> {
    if (!limit) return allow;
    try {
      await limit.consume(key);
      return allow;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, retryAfterSeconds: Math.ceil(rejection.msBeforeNext / 1000) };
      }
      throw rejection;
    }
  }

  return {
    /** Before checking a password: is this account or IP locked out, and how long to wait first. */
    async beforeSignIn(email: string, ip: string): Promise<Verdict & { delayMs: number }> {
      const [account, address] = await Promise.all([
        consumed(failuresByAccount, accountKey(email)),
        consumed(failuresByIp, ip),
      ]);
      for (const [state, points] of [
        [account, config.RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT],
        [address, config.RATE_LIMIT_SIGNIN_FAILURES_PER_IP],
      ] as const) {
        if (state && state.consumedPoints >= points) {
          return { allowed: false, retryAfterSeconds: Math.ceil(state.msBeforeNext / 1000), delayMs: 0 };
        }
      }
      const delayMs = Math.max(
        accountDelayMs(account?.consumedPoints ?? 0),
        addressDelayMs(address?.consumedPoints ?? 0, config.RATE_LIMIT_SIGNIN_FAILURES_PER_IP),
      );
      return { ...allow, delayMs };
    },

    async signInFailed(email: string, ip: string): Promise<void> {
      await Promise.all([take(failuresByAccount, accountKey(email)), take(failuresByIp, ip)]);
    },

    async signInSucceeded(email: string): Promise<void> {
      await failuresByAccount?.delete(accountKey(email));
    },

    registration: (ip: string) => take(registrations, ip),
    passwordChange: (userId: string) => take(passwordChanges, userId),
    refresh: (ip: string) => take(refreshes, ip),
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
