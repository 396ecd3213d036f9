/**
 * Event types of the revocation feed: OpenID Shared Signals (CAEP and RISC) where one fits, and a
 * product-specific type for a single access token (by jti), which neither profile defines.
 */
export const eventTypes = {
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  tokenClaimsChange: 'https://schemas.openid.net/secevent/caep/event-type/token-claims-change',
  credentialChange: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
  accountDisabled: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  accountPurged: 'https://schemas.openid.net/secevent/risc/event-type/account-purged',
  tokenRevoked: 'https://usher.dev/secevent/event-type/token-revoked',
} as const;

export type EventType = (typeof eventTypes)[keyof typeof eventTypes];

/** The media type of a SET's `typ` header (RFC 8417 section 2.3). */
export const setType = 'secevent+jwt';

/** The permission a client needs to poll the feed. */
export const receivePermission = 'security_events_receive';
