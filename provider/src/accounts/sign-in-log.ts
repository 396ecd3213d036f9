import type { Knex } from '@usher/platform';

export type SignInMethod = 'password' | 'google' | 'upstream';
export type SignInResult =
  | 'success'
  | 'invalid_credentials'
  | 'blocked'
  | 'rate_limited'
  // Sign-in through an upstream identity provider (Google, OpenID Connect) that did not complete:
  | 'cancelled'
  | 'state_mismatch'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'no_email'
  | 'unverified_email'
  | 'link_required';

export interface SignInAttempt {
  userId: string | null;
  email: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  method: SignInMethod;
  result: SignInResult;
}

/** Every sign-in attempt, successful or not, is recorded (CONTRACTS.md 1.1). */
export function createSignInLog(knex: Knex) {
  return {
    async record(attempt: SignInAttempt): Promise<void> {
      await knex('sign_in_attempts').insert({
        user_id: attempt.userId,
        email: attempt.email?.slice(0, 320) ?? null,
        ip_address: attempt.ipAddress?.slice(0, 64) ?? null,
        user_agent: attempt.userAgent?.slice(0, 512) ?? null,
        method: attempt.method,
        result: attempt.result,
      });
    },

    async forUser(userId: string, limit = 100) {
      return knex('sign_in_attempts')
        .where({ user_id: userId })
        .orderBy('created_at', 'desc')
        .limit(limit)
        .select('id', 'ip_address', 'user_agent', 'method', 'result', 'created_at');
    },
  };
}

export type SignInLog = ReturnType<typeof createSignInLog>;
