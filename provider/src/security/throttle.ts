import { createHash } from 'node:crypto';
import { createRateLimiter, type KeyValueStore, type RateLimiter, type RateLimitState } from '@usher/platform';
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

/** Past its points, a key is locked out for what is left of its window (or its block). */
function lockedOut(limit: RateLimiter | null, state: RateLimitState | undefined): Verdict | null {
  if (!limit || !state || state.consumed < limit.points) return null;
  return { allowed: false, retryAfterSeconds: Math.max(1, state.resetSeconds) };
}

/** A client id as a counter key: long ones (anyone may send anything) are hashed to a fixed size. */
const clientKey = (clientId: string) =>
  clientId.length <= 128 ? clientId : `sha256:${createHash('sha256').update(clientId).digest('base64url')}`;

/**
 * Rate limits on anything guessable: failed sign-ins per account and per IP (each with a progressive
 * delay before the lockout; the longer of the two applies) or, from a browser holding a device
 * cookie of that account, per device instead; registrations per IP; password and email changes per
 * account; refresh-token grants per IP; failed client authentication per client and per IP.
 * Redis-backed when configured, so all instances share the counters. A limit of 0 switches that
 * limit off. Used by sign-in pages, social sign-in, the admin API and the token endpoint alike, so
 * it lives with the other security pieces.
 */
export function createThrottle(config: ProviderConfig, store: KeyValueStore) {
  // Past its points a key stays refused for a whole window from then on.
  const make = (name: string, points: number, durationSeconds: number): RateLimiter | null =>
    points > 0 ? createRateLimiter(store, { name, points, durationSeconds, blockSeconds: durationSeconds }) : null;
  const failuresByAccount = make('signin-account', config.RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT, 15 * 60);
  const failuresByIp = make('signin-ip', config.RATE_LIMIT_SIGNIN_FAILURES_PER_IP, 60 * 60);
  const failuresByDevice = make('signin-device', config.RATE_LIMIT_SIGNIN_FAILURES_PER_DEVICE, 15 * 60);
  const registrations = make('register-ip', config.RATE_LIMIT_REGISTRATIONS_PER_IP, 60 * 60);
  const passwordChanges = make('password-account', config.RATE_LIMIT_PASSWORD_CHANGES_PER_ACCOUNT, 60 * 60);
  const emailChanges = make('email-account', config.RATE_LIMIT_EMAIL_CHANGES_PER_ACCOUNT, 60 * 60);
  const refreshes = make('refresh-ip', config.RATE_LIMIT_REFRESH_PER_MINUTE, 60);
  const clientFailures = make('client-auth-client', config.RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_CLIENT, 15 * 60);
  const clientFailuresByIp = make('client-auth-ip', config.RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_IP, 60 * 60);

  const accountKey = (email: string) => email.trim().toLowerCase();
  /** A device counts on its own only while device budgets are on; otherwise it is any browser. */
  const trusted = (device: string | null | undefined): device is string => Boolean(device && failuresByDevice);

  async function take(limit: RateLimiter | null, key: string): Promise<Verdict> {
    if (!limit) return allow;
    const verdict = await limit.consume(key);
    return verdict.allowed ? allow : { allowed: false, retryAfterSeconds: verdict.retryAfterSeconds };
  }

  return {
    /** Whether device cookies change anything (their budget is on). */
    deviceBudgets: failuresByDevice !== null,

    /**
     * Before checking a password: is this account or IP locked out, and how long to wait first.
     * `device` names a device cookie of this very account (OWASP's device-cookie scheme): such a
     * browser spends only its own budget, so neither the account's lockout nor the IP's reach it.
     */
    async beforeSignIn(email: string, ip: string, device?: string | null): Promise<Verdict & { delayMs: number }> {
      if (trusted(device)) {
        const state = await failuresByDevice!.get(device);
        const refused = lockedOut(failuresByDevice, state);
        return refused ? { ...refused, delayMs: 0 } : { ...allow, delayMs: accountDelayMs(state.consumed) };
      }
      const [account, address] = await Promise.all([failuresByAccount?.get(accountKey(email)), failuresByIp?.get(ip)]);
      const refused = lockedOut(failuresByAccount, account) ?? lockedOut(failuresByIp, address);
      if (refused) return { ...refused, delayMs: 0 };
      const delayMs = Math.max(
        accountDelayMs(account?.consumed ?? 0),
        addressDelayMs(address?.consumed ?? 0, config.RATE_LIMIT_SIGNIN_FAILURES_PER_IP),
      );
      return { ...allow, delayMs };
    },

    async signInFailed(email: string, ip: string, device?: string | null): Promise<void> {
      if (trusted(device)) {
        await take(failuresByDevice, device);
        return;
      }
      await Promise.all([take(failuresByAccount, accountKey(email)), take(failuresByIp, ip)]);
    },

    async signInSucceeded(email: string, device?: string | null): Promise<void> {
      await Promise.all([
        failuresByAccount?.reset(accountKey(email)),
        trusted(device) ? failuresByDevice!.reset(device) : undefined,
      ]);
    },

    /**
     * Before oidc-provider checks a client's credentials: is the client id, or the caller's IP,
     * locked out by earlier failures. Successes reset nothing: a client authenticates all day long,
     * and a reset would hand whoever guesses its secret a fresh budget each time.
     */
    async beforeClientAuth(clientId: string | null, ip: string): Promise<Verdict> {
      const [client, address] = await Promise.all([
        clientId === null ? undefined : clientFailures?.get(clientKey(clientId)),
        clientFailuresByIp?.get(ip),
      ]);
      return lockedOut(clientFailures, client) ?? lockedOut(clientFailuresByIp, address) ?? allow;
    },

    async clientAuthFailed(clientId: string | null, ip: string): Promise<void> {
      await Promise.all([
        clientId === null ? undefined : take(clientFailures, clientKey(clientId)),
        take(clientFailuresByIp, ip),
      ]);
    },

    registration: (ip: string) => take(registrations, ip),
    passwordChange: (userId: string) => take(passwordChanges, userId),
    emailChange: (userId: string) => take(emailChanges, userId),
    refresh: (ip: string) => take(refreshes, ip),
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
