import type { Knex } from '@usher/platform';
import type { UserRef } from '../accounts/user-store.ts';
import type { ChangeContext } from '../audit/change-context.ts';
import { UnknownClient } from '../clients/client-changes.ts';
import { eventTypes } from '../security-events/event-types.ts';
import type { NewEvent } from '../security-events/event-store.ts';
import type { PermissionRow, RoleRow } from './access-store.ts';

type Emit = (event: NewEvent) => Promise<void>;

/** Tokens of these subjects carry stale roles or permissions from now on: retire them. */
async function claimsChanged(emit: Emit, subjects: Iterable<string>, data?: Record<string, unknown>) {
  for (const subject of new Set(subjects)) {
    await emit({ type: eventTypes.tokenClaimsChange, subject, ...(data ? { data } : {}) });
  }
}

const permissionRecord = (row: PermissionRow) => ({
  name: row.name,
  description: row.description,
  resource: row.resource,
});
const roleRecord = (row: RoleRow) => ({ name: row.name, description: row.description });

/**
 * The permission model's changes (CONTRACTS.md 1.2), each one transaction holding the change, its
 * audit record (with before and after) and a token-claims-change event for every subject whose
 * tokens it makes stale. Shared by the admin API and the CLI.
 */
export function accessChanges({ domain, feed, actor }: ChangeContext) {
  const { access, audit, users, clients } = domain;
  const record = (trx: Knex, action: string, targetType: string, target: string, data: Record<string, unknown>) =>
    audit.record({ actor, action, targetType, target, data }, trx);
  /** Grants name an existing user or client: checked in the change's transaction. */
  const userIdOf = async (user: UserRef, trx: Knex) => (await users.require(user, trx)).id;
  const requireClient = async (clientId: string, trx: Knex) => {
    if (!(await clients.find(clientId, trx))) throw new UnknownClient(clientId);
  };

  return {
    createPermission: (input: { name: string; description?: string | null; resource?: string | null }) =>
      feed.withEvents(async (trx) => {
        const row = await access.createPermission(input, trx);
        await record(trx, 'permission.created', 'permission', row.id, { after: permissionRecord(row) });
        return row;
      }),

    updatePermission: (name: string, changes: { description?: string | null; resource?: string | null }) =>
      feed.withEvents(async (trx, emit) => {
        const before = await access.requirePermission(name, trx);
        const after = await access.updatePermission(name, changes, trx);
        await record(trx, 'permission.updated', 'permission', after.id, {
          before: permissionRecord(before),
          after: permissionRecord(after),
        });
        // The resource decides which audiences' tokens carry the permission.
        if (before.resource !== after.resource) {
          await claimsChanged(emit, await access.permissionHolders(after.id, trx), { permission: name });
        }
        return after;
      }),

    deletePermission: (name: string) =>
      feed.withEvents(async (trx, emit) => {
        const permission = await access.requirePermission(name, trx);
        const holders = await access.permissionHolders(permission.id, trx);
        await access.deletePermission(name, trx);
        await record(trx, 'permission.deleted', 'permission', permission.id, { before: permissionRecord(permission) });
        await claimsChanged(emit, holders, { permission: name });
      }),

    createRole: (input: { name: string; description?: string | null; permissions?: string[] }) =>
      feed.withEvents(async (trx) => {
        const role = await access.createRole(input, trx);
        for (const permission of input.permissions ?? [])
          await access.grantPermissionToRole(role.name, permission, trx);
        await record(trx, 'role.created', 'role', role.id, {
          after: { ...roleRecord(role), permissions: input.permissions ?? [] },
        });
        return role;
      }),

    updateRole: (name: string, changes: { name?: string; description?: string | null }) =>
      feed.withEvents(async (trx, emit) => {
        const before = await access.requireRole(name, trx);
        const after = await access.updateRole(name, changes, trx);
        await record(trx, 'role.updated', 'role', after.id, { before: roleRecord(before), after: roleRecord(after) });
        // Tokens name their roles: a rename makes them stale.
        if (before.name !== after.name) await claimsChanged(emit, await access.roleHolders(after.id, trx));
        return after;
      }),

    deleteRole: (name: string) =>
      feed.withEvents(async (trx, emit) => {
        const role = await access.requireRole(name, trx);
        const holders = await access.roleHolders(role.id, trx);
        const permissions = (await access.rolePermissions(role.id, trx)).map((row) => row.name);
        await access.deleteRole(name, trx);
        await record(trx, 'role.deleted', 'role', role.id, { before: { ...roleRecord(role), permissions } });
        await claimsChanged(emit, holders, { role: name });
      }),

    attachPermissionToRole: (roleName: string, permissionName: string) =>
      feed.withEvents(async (trx, emit) => {
        const role = await access.requireRole(roleName, trx);
        const before = (await access.rolePermissions(role.id, trx)).map((row) => row.name);
        await access.grantPermissionToRole(roleName, permissionName, trx);
        if (before.includes(permissionName)) return;
        await record(trx, 'role.permission_attached', 'role', role.id, {
          role: roleName,
          permission: permissionName,
          before,
          after: [...before, permissionName].sort(),
        });
        await claimsChanged(emit, await access.roleHolders(role.id, trx), { role: roleName });
      }),

    detachPermissionFromRole: (roleName: string, permissionName: string) =>
      feed.withEvents(async (trx, emit) => {
        const role = await access.requireRole(roleName, trx);
        const before = (await access.rolePermissions(role.id, trx)).map((row) => row.name);
        await access.revokePermissionFromRole(roleName, permissionName, trx);
        if (!before.includes(permissionName)) return;
        await record(trx, 'role.permission_detached', 'role', role.id, {
          role: roleName,
          permission: permissionName,
          before,
          after: before.filter((name) => name !== permissionName),
        });
        await claimsChanged(emit, await access.roleHolders(role.id, trx), { role: roleName });
      }),

    grantRoleToUser: (user: UserRef, roleName: string) =>
      feed.withEvents(async (trx, emit) => {
        const userId = await userIdOf(user, trx);
        const before = (await access.userRoles(userId, trx)).map((role) => role.name);
        await access.grantRoleToUser(userId, roleName, trx);
        if (before.includes(roleName)) return;
        await record(trx, 'role.granted', 'user', userId, {
          role: roleName,
          before,
          after: [...before, roleName].sort(),
        });
        await claimsChanged(emit, [userId]);
      }),

    revokeRoleFromUser: (user: UserRef, roleName: string) =>
      feed.withEvents(async (trx, emit) => {
        const userId = await userIdOf(user, trx);
        const before = (await access.userRoles(userId, trx)).map((role) => role.name);
        await access.revokeRoleFromUser(userId, roleName, trx);
        if (!before.includes(roleName)) return;
        await record(trx, 'role.revoked', 'user', userId, {
          role: roleName,
          before,
          after: before.filter((name) => name !== roleName),
        });
        await claimsChanged(emit, [userId]);
      }),

    grantPermissionToUser: (user: UserRef, permissionName: string) =>
      feed.withEvents(async (trx, emit) => {
        const userId = await userIdOf(user, trx);
        const before = (await access.userDirectPermissions(userId, trx)).map((row) => row.name);
        await access.grantPermissionToUser(userId, permissionName, trx);
        if (before.includes(permissionName)) return;
        await record(trx, 'permission.granted', 'user', userId, {
          permission: permissionName,
          before,
          after: [...before, permissionName].sort(),
        });
        await claimsChanged(emit, [userId]);
      }),

    revokePermissionFromUser: (user: UserRef, permissionName: string) =>
      feed.withEvents(async (trx, emit) => {
        const userId = await userIdOf(user, trx);
        const before = (await access.userDirectPermissions(userId, trx)).map((row) => row.name);
        await access.revokePermissionFromUser(userId, permissionName, trx);
        if (!before.includes(permissionName)) return;
        await record(trx, 'permission.revoked', 'user', userId, {
          permission: permissionName,
          before,
          after: before.filter((name) => name !== permissionName),
        });
        await claimsChanged(emit, [userId]);
      }),

    grantPermissionToClient: (clientId: string, permissionName: string) =>
      feed.withEvents(async (trx, emit) => {
        await requireClient(clientId, trx);
        const before = (await access.clientPermissions(clientId, trx)).map((row) => row.name);
        await access.grantPermissionToClient(clientId, permissionName, trx);
        if (before.includes(permissionName)) return;
        await record(trx, 'permission.granted', 'client', clientId, {
          permission: permissionName,
          before,
          after: [...before, permissionName].sort(),
        });
        await claimsChanged(emit, [clientId]);
      }),

    revokePermissionFromClient: (clientId: string, permissionName: string) =>
      feed.withEvents(async (trx, emit) => {
        await requireClient(clientId, trx);
        const before = (await access.clientPermissions(clientId, trx)).map((row) => row.name);
        await access.revokePermissionFromClient(clientId, permissionName, trx);
        if (!before.includes(permissionName)) return;
        await record(trx, 'permission.revoked', 'client', clientId, {
          permission: permissionName,
          before,
          after: before.filter((name) => name !== permissionName),
        });
        await claimsChanged(emit, [clientId]);
      }),
  };
}

export type AccessChanges = ReturnType<typeof accessChanges>;
