/** Names with a fixed meaning (CONTRACTS.md 1.2). */
export const superuserPermission = 'all_all';
export const permissionsAdmin = 'permissions_admin';
export const subscriptionPermission = 'pro_read';
export const superuserRole = 'superuser';

export const permissionNamePattern = /^[A-Za-z0-9_.:-]{1,80}$/;
