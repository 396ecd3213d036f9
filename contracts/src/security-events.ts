/**
 * The revocation feed's vocabulary: Security Event Tokens (RFC 8417) with OpenID Shared Signals
 * event types (CAEP, RISC) where one fits, and Usher's own type for a single access token. The
 * provider sends exactly these; the kit applies exactly these.
 */
export const securityEventTypes = {
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  tokenClaimsChange: 'https://schemas.openid.net/secevent/caep/event-type/token-claims-change',
  credentialChange: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
  accountDisabled: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  accountPurged: 'https://schemas.openid.net/secevent/risc/event-type/account-purged',
  tokenRevoked: 'https://usher.dev/secevent/event-type/token-revoked',
} as const;

export type SecurityEventType = (typeof securityEventTypes)[keyof typeof securityEventTypes];

/** Events that cover every token of a subject issued before the event's instant (`event_timestamp`). */
export const subjectWideEventTypes: readonly SecurityEventType[] = [
  securityEventTypes.tokenClaimsChange,
  securityEventTypes.credentialChange,
  securityEventTypes.accountDisabled,
  securityEventTypes.accountPurged,
];

export function coversWholeSubject(type: string): boolean {
  return (subjectWideEventTypes as readonly string[]).includes(type);
}

/** The `typ` header of a SET (RFC 8417 section 2.3). */
export const securityEventTokenType = 'secevent+jwt';

/** The Redis pub/sub channel on which signed SETs are fanned out (under the deployment's key prefix). */
export const securityEventsChannel = 'security-events';

/** The RFC 8936 poll endpoint, under the issuer. */
export const securityEventsPollPath = '/secevents/poll';

/** The body of one event in a SET's `events` claim, as Usher sends it. */
export interface SecurityEventBody {
  subject?: {
    format?: string;
    id?: string;
    user?: { format?: string; id?: string };
    session?: { format?: string; id?: string };
  };
  /** NumericDate: subject-wide events cover tokens whose `iat` is below it. */
  event_timestamp?: number;
  /** The revoked token's `jti` (token-revoked events). */
  jti?: string;
  /**
   * Usher's extension member (NumericDate): by then every token the event covers has expired. For a
   * single token it is that token's `exp`; for a session or a subject, the event's instant plus the
   * provider's longest access-token lifetime (and a margin). Receivers keep the event that long.
   */
  covered_tokens_exp?: number;
  [member: string]: unknown;
}

/**
 * How long the token endpoint may reuse the roles and permissions it read for a subject, and how far
 * a claims-change event reaches forward in consequence: the cache age, plus one for `iat`'s whole
 * seconds. A token minted from a stale cache entry is then still covered by the change's event; a
 * test (or a client) that wants a token escaping a change waits out the lead.
 */
export const claimsCacheSeconds = 1;
export const claimsChangeLeadSeconds = claimsCacheSeconds + 1;
