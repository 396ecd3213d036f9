import { createRateLimiter, type KeyValueStore, type RateLimiter } from '@usher/platform';
import type { ProviderConfig } from '../config.ts';

export interface Verdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

const allow: Verdict = { allowed: true, retryAfterSeconds: 0 };

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
 * delay before the lockout; the longer of the two applies), registrations per IP, password changes
 * per account and refresh-token grants per IP. Redis-backed when configured, so all instances share
 * the counters. A limit of 0 switches that limit off. Used by sign-in pages, social sign-in, the
 * admin API and the token endpoint alike, so it lives with the other security pieces.
 */
export function createThrottle(config: ProviderConfig, store: KeyValueStore) {
  // Past its points a key stays refused for a whole window from then on.
  const make = (name: string, points: number, durationSeconds: number): RateLimiter | null =>
    points > 0 ? createRateLimiter(store, { name, points, durationSeconds, blockSeconds: durationSeconds }) : null;
  const failuresByAccount = make('signin-account', config.RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT, 15 * 60);
  const failuresByIp = make('signin-ip', config.RATE_LIMIT_SIGNIN_FAILURES_PER_IP, 60 * 60);
  const registrations = make('register-ip', config.RATE_LIMIT_REGISTRATIONS_PER_IP, 60 * 60);
  const passwordChanges = make('password-account', config.RATE_LIMIT_PASSWORD_CHANGES_PER_ACCOUNT, 60 * 60);
  const refreshes = make('refresh-ip', config.RATE_LIMIT_REFRESH_PER_MINUTE, 60);

  const accountKey = (email: string) => email.trim().toLowerCase();

  async function take(limit: RateLimiter | null, key: string): Promise<Verdict> {
    if (!limit) return allow;
    const verdict = await limit.consume(key);
    return verdict.allowed ? allow : { allowed: false, retryAfterSeconds: verdict.retryAfterSeconds };
  }

  return {
    /** Before checking a password: is this account or IP locked out, and how long to wait first. */
    async beforeSignIn(email: string, ip: string): Promise<Verdict & { delayMs: number }> {
      const [account, address] = await Promise.all([failuresByAccount?.get(accountKey(email)), failuresByIp?.get(ip)]);
      for (const [state, limit] of [
        [account, failuresByAccount],
        [address, failuresByIp],
      ] as const) {
        if (state && limit && state.consumed >= limit.points) {
          return { allowed: false, retryAfterSeconds: Math.max(1, state.resetSeconds), delayMs: 0 };
        }
      }
      const delayMs = Math.max(
        accountDelayMs(account?.consumed ?? 0),
        addressDelayMs(address?.consumed ?? 0, config.RATE_LIMIT_SIGNIN_FAILURES_PER_IP),
      );
      return { ...allow, delayMs };
    },

    async signInFailed(email: string, ip: string): Promise<void> {
      await Promise.all([take(failuresByAccount, accountKey(email)), take(failuresByIp, ip)]);
    },

    async signInSucceeded(email: string): Promise<void> {
      await failuresByAccount?.reset(accountKey(email));
    },

    registration: (ip: string) => take(registrations, ip),
    passwordChange: (userId: string) => take(passwordChanges, userId),
    refresh: (ip: string) => take(refreshes, ip),
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
