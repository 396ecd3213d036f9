import { statement, type Knex } from '@usher/platform';

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
  const insert = statement<never>(
    knex,
    'usher_sign_in_attempt',
    `insert into sign_in_attempts (user_id, email, ip_address, user_agent, method, result)
     values ($1, $2, $3, $4, $5, $6)`,
  );
  return {
    async record(attempt: SignInAttempt): Promise<void> {
      await insert([
        attempt.userId,
        attempt.email?.slice(0, 320) ?? null,
        attempt.ipAddress?.slice(0, 64) ?? null,
        attempt.userAgent?.slice(0, 512) ?? null,
        attempt.method,
        attempt.result,
      ]);
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
