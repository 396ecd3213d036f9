import { revocationEventTypes } from '@usher/kit';

/**
 * Event types of the revocation feed: OpenID Shared Signals (CAEP and RISC) where one fits, and a
 * product-specific type for a single access token (by jti), which neither profile defines. One list,
 * the kit's: what the provider sends is exactly what resource servers apply.
 */
export const eventTypes = revocationEventTypes;

export type EventType = (typeof eventTypes)[keyof typeof eventTypes];

/** The media type of a SET's `typ` header (RFC 8417 section 2.3). */
export const setType = 'secevent+jwt';

/** The permission a client needs to poll the feed. */
export const receivePermission = 'security_events_receive';
