/** Permission names with a fixed meaning on the wire (CONTRACTS.md 1.2). */

/** Satisfies every permission query, at every audience. */
export const superuserPermission = 'all_all';
/** Administers users, roles, permissions, clients and keys through the admin API. */
export const permissionsAdmin = 'permissions_admin';
/** A subscriber: sees every film, whatever its rating (CONTRACTS 3.2). */
export const subscriptionPermission = 'pro_read';
/** Lets a client poll the provider's revocation feed. */
export const securityEventsReceivePermission = 'security_events_receive';

/** What a permission name may look like, wherever one is written or checked. */
export const permissionNamePattern = /^[A-Za-z0-9_.:-]{1,80}$/;
