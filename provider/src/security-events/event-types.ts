import { securityEventTokenType, securityEventTypes, type SecurityEventType } from '@usher/contracts';

/**
 * Event types of the revocation feed, from the shared contracts: what the provider sends is exactly
 * what resource servers apply.
 */
export const eventTypes = securityEventTypes;

export type EventType = SecurityEventType;

/** The media type of a SET's `typ` header (RFC 8417 section 2.3). */
export const setType = securityEventTokenType;

export { securityEventsReceivePermission as receivePermission } from '@usher/contracts';
