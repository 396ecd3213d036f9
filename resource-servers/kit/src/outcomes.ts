/**
 * Stable outcome codes of token checking, one per row of the degrade table (ARCHITECTURE.md), in
 * the manner of jose's error codes: callers and logs switch on them, never on messages.
 */
export const outcomeCodes = {
  /** Signature, issuer, audience, type and lifetime all check out. */
  verified: 'USHER_TOKEN_VERIFIED',
  /** No token: the caller is anonymous. */
  anonymous: 'USHER_TOKEN_ABSENT',
  /** The provider cannot be reached and the token's key was never obtainable: anonymous, degraded. */
  degraded: 'USHER_KEYS_UNAVAILABLE',
  /** Bad signature, wrong audience or issuer, malformed, wrong type or algorithm, not yet valid (`nbf`). */
  invalid: 'USHER_TOKEN_INVALID',
  /** Past its expiry (with leeway). */
  expired: 'USHER_TOKEN_EXPIRED',
  /** Covered by a revocation event. */
  revoked: 'USHER_TOKEN_REVOKED',
} as const;

export type OutcomeCode = (typeof outcomeCodes)[keyof typeof outcomeCodes];

export interface Subject {
  /** The user's id, or the client id for client credentials. */
  sub: string;
  clientId: string | undefined;
  roles: string[];
  permissions: string[];
  scope: string[];
  jti: string | undefined;
  sid: string | undefined;
  issuedAt: number;
  expiresAt: number;
}

/** The outcomes answered 401 invalid_token. */
export type RejectionCode = typeof outcomeCodes.invalid | typeof outcomeCodes.expired | typeof outcomeCodes.revoked;

export type Rejection = { code: RejectionCode; degraded: false; reason: string };

export type Outcome =
  | { code: typeof outcomeCodes.verified; subject: Subject; degraded: false }
  | { code: typeof outcomeCodes.anonymous; degraded: false }
  | { code: typeof outcomeCodes.degraded; degraded: true; reason: string }
  | Rejection;

/** Outcomes that must be answered 401 invalid_token (never served as anonymous). */
export const isRejection = (outcome: Outcome): outcome is Rejection =>
  outcome.code === outcomeCodes.invalid ||
  outcome.code === outcomeCodes.expired ||
  outcome.code === outcomeCodes.revoked;
