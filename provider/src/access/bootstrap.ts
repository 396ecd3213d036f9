import type { Knex } from '@usher/platform';
import type { AccessStore } from './access-store.ts';
import { permissionsAdmin, subscriptionPermission, superuserPermission, superuserRole } from './permission-names.ts';
import { receivePermission } from '../security-events/event-types.ts';

const filePermissions = {
  can_view_file: 'List files, get download links and the servers of a file',
  can_upload_file: 'Upload files',
  can_rename_file: 'Rename files',
  can_delete_file: 'Delete files',
  can_view_filesharelink: 'List share links',
  can_add_filesharelink: 'Create share links',
  can_delete_filesharelink: 'Delete share links',
  can_view_cdnserver: 'List storage regions',
  can_add_cdnserver: 'Add storage regions',
  can_change_cdnserver: 'Change storage regions',
  can_delete_cdnserver: 'Delete storage regions',
};

const adminOnlyFilePermissions = ['can_add_cdnserver', 'can_change_cdnserver', 'can_delete_cdnserver'];

/** The permissions and roles CONTRACTS.md 1.2 fixes. */
export const defaultPermissions: Record<string, string> = {
  [superuserPermission]: 'Every permission',
  [permissionsAdmin]: 'Manage roles, permissions and their grants',
  [subscriptionPermission]: 'Watch subscriber-only films',
  [receivePermission]: 'Receive the revocation feed (resource servers)',
  ...filePermissions,
};

export const defaultRoles: Record<string, { description: string; permissions: string[] }> = {
  [superuserRole]: { description: 'Holds every permission', permissions: [superuserPermission] },
  subscriber: { description: 'Paying subscriber', permissions: [subscriptionPermission] },
  bonus: { description: 'Subscriber through a bonus', permissions: [subscriptionPermission] },
  trial: { description: 'Subscriber on a trial', permissions: [subscriptionPermission] },
  admin: { description: 'Administrator', permissions: [permissionsAdmin, subscriptionPermission] },
  moderator: { description: 'Moderator', permissions: [permissionsAdmin, subscriptionPermission] },
  user: {
    description: 'Every account',
    permissions: Object.keys(filePermissions).filter((name) => !adminOnlyFilePermissions.includes(name)),
  },
};

/** The role every new account receives. */
export const defaultUserRole = 'user';

/** `init`: creates what is listed above; running it again changes nothing. */
export async function initializeAccess(knex: Knex, access: AccessStore): Promise<void> {
  await knex.transaction(async (trx) => {
    for (const [name, description] of Object.entries(defaultPermissions)) {
      await access.ensurePermission(name, description, trx);
    }
    for (const [name, role] of Object.entries(defaultRoles)) {
      await access.ensureRole(name, role.description, trx);
      for (const permission of role.permissions) await access.grantPermissionToRole(name, permission, trx);
    }
  });
}

export async function isInitialized(knex: Knex): Promise<boolean> {
  const row = await knex('roles').where({ name: superuserRole }).first();
  return Boolean(row);
}
