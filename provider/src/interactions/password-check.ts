import { setTimeout as sleep } from 'node:timers/promises';
import { verifyPassword } from '../accounts/password-hasher.ts';
import type { UserRow } from '../accounts/user-store.ts';
import type { Domain } from '../domain.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { Throttle } from '../security/throttle.ts';

export type PasswordVerdict =
  | { result: 'success'; user: UserRow }
  | { result: 'invalid_credentials' }
  | { result: 'blocked'; user: UserRow }
  | { result: 'rate_limited'; retryAfterSeconds: number };

export const tooManyFailures = (retryAfterSeconds: number) => {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
};

export interface PasswordAttempt {
  ip: string;
  userAgent: string | null;
  /** The device key of this browser's device cookie for the account, if it holds a valid one. */
  device?: (accountId: string) => string | null;
}

/**
 * One password check for every form that asks for one (sign-in, proving an account before linking an
 * identity): the same throttle and progressive delay, the same constant-time miss, and one sign-in
 * log entry and metric per attempt. The account is looked up first, so that a browser holding a
 * device cookie of that account is throttled on its own budget.
 */
export function createPasswordCheck(deps: { domain: Domain; throttle: Throttle; metrics: Metrics }) {
  const { domain, throttle, metrics } = deps;
  return async function checkPassword(
    email: string,
    password: string,
    request: PasswordAttempt,
  ): Promise<PasswordVerdict> {
    const attempt = { email, ipAddress: request.ip, userAgent: request.userAgent, method: 'password' as const };
    const user = await domain.users.findByEmail(email);
    const device = user && request.device ? request.device(user.id) : null;
    const verdict = await throttle.beforeSignIn(email, request.ip, device);
    if (!verdict.allowed) {
      await domain.signIns.record({ ...attempt, userId: null, result: 'rate_limited' });
      metrics.signIns.inc({ method: 'password', result: 'rate_limited' });
      return { result: 'rate_limited', retryAfterSeconds: verdict.retryAfterSeconds };
    }
    if (verdict.delayMs) await sleep(verdict.delayMs);
    const valid = await verifyPassword(user?.password_hash, password);
    const result = !valid || !user ? 'invalid_credentials' : user.blocked_at ? 'blocked' : 'success';
    await domain.signIns.record({ ...attempt, userId: user?.id ?? null, result });
    metrics.signIns.inc({ method: 'password', result });
    if (result === 'invalid_credentials') {
      await throttle.signInFailed(email, request.ip, device);
      return { result };
    }
    if (result === 'success') await throttle.signInSucceeded(email, device);
    return { result, user: user! };
  };
}

export type PasswordCheck = ReturnType<typeof createPasswordCheck>;
