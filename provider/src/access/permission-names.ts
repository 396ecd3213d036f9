/** Names with a fixed meaning (CONTRACTS.md 1.2): the wire's from the shared contracts, plus the provider's role. */
export { permissionNamePattern, permissionsAdmin, subscriptionPermission, superuserPermission } from '@usher/contracts';

export const superuserRole = 'superuser';
