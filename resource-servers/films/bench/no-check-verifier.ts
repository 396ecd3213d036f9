import { outcomeCodes, type Outcome, type Subject } from '@usher/kit';

const subscriber: Subject = {
  sub: 'bench-subscriber',
  clientId: undefined,
  roles: [],
  permissions: ['pro_read'],
  scope: [],
  jti: undefined,
  sid: undefined,
  issuedAt: 0,
  expiresAt: Number.MAX_SAFE_INTEGER,
};

/**
 * The yardstick of the token check: films' Express app serving the same cached subscriber answer
 * with no check at all. Every caller, token or not, is one fixed subscriber: bench-only, it lets
 * anyone in.
 */
export function noCheckVerifier(): { verify(token: string | null | undefined): Promise<Outcome> } {
  const outcome: Outcome = { code: outcomeCodes.verified, subject: subscriber, degraded: false };
  return { verify: async () => outcome };
}
