import type { Knex } from '@usher/platform';
import { isUniqueViolation } from '../accounts/user-store.ts';
import { superuserPermission } from './permission-names.ts';

export interface PermissionRow {
  id: string;
  name: string;
  description: string | null;
  resource: string | null;
}

export interface RoleRow {
  id: string;
  name: string;
  description: string | null;
}

export interface TokenClaims {
  roles: string[];
  permissions: string[];
}

export class NameTaken extends Error {
  constructor(kind: string, name: string) {
    super(`${kind} ${name} already exists`);
    this.name = 'NameTaken';
  }
}

export class UnknownName extends Error {
  constructor(
    readonly kind: string,
    readonly value: string,
  ) {
    super(`${kind} ${value} not found`);
    this.name = 'UnknownName';
  }
}

/** Roles, permissions and their grants to users and clients. */
export function createAccessStore(knex: Knex) {
  /** Permissions that matter to `audience`: the global ones and the audience's own. */
  const forAudience = (query: Knex.QueryBuilder, audience: string | null) =>
    audience === null ? query : query.where((q) => q.whereNull('p.resource').orWhere('p.resource', audience));

  async function requirePermission(name: string, trx: Knex): Promise<PermissionRow> {
    const row = await trx<PermissionRow>('permissions').where({ name }).first();
    if (!row) throw new UnknownName('Permission', name);
    return row;
  }

  async function requireRole(name: string, trx: Knex): Promise<RoleRow> {
    const row = await trx<RoleRow>('roles').where({ name }).first();
    if (!row) throw new UnknownName('Role', name);
    return row;
  }

  return {
    requirePermission: (name: string, trx: Knex = knex) => requirePermission(name, trx),
    requireRole: (name: string, trx: Knex = knex) => requireRole(name, trx),

    async createPermission(
      input: { name: string; description?: string | null; resource?: string | null },
      trx: Knex = knex,
    ): Promise<PermissionRow> {
      try {
        const [row] = await trx<PermissionRow>('permissions')
          .insert({ name: input.name, description: input.description ?? null, resource: input.resource ?? null })
          .returning(['id', 'name', 'description', 'resource']);
        return row!;
      } catch (error) {
        if (isUniqueViolation(error)) throw new NameTaken('Permission', input.name);
        throw error;
      }
    },

    async ensurePermission(name: string, description: string | null, trx: Knex = knex): Promise<PermissionRow> {
      await trx('permissions').insert({ name, description }).onConflict('name').ignore();
      return requirePermission(name, trx);
    },

    async createRole(input: { name: string; description?: string | null }, trx: Knex = knex): Promise<RoleRow> {
      try {
        const [row] = await trx<RoleRow>('roles')
          .insert({ name: input.name, description: input.description ?? null })
          .returning(['id', 'name', 'description']);
        return row!;
      } catch (error) {
        if (isUniqueViolation(error)) throw new NameTaken('Role', input.name);
        throw error;
      }
    },

    async ensureRole(name: string, description: string | null, trx: Knex = knex): Promise<RoleRow> {
      await trx('roles').insert({ name, description }).onConflict('name').ignore();
      return requireRole(name, trx);
    },

    async grantPermissionToRole(roleName: string, permissionName: string, trx: Knex = knex) {
      const [role, permission] = await Promise.all([
        requireRole(roleName, trx),
        requirePermission(permissionName, trx),
      ]);
      await trx('role_permissions')
        .insert({ role_id: role.id, permission_id: permission.id })
        .onConflict(['role_id', 'permission_id'])
        .ignore();
    },

    async grantRoleToUser(userId: string, roleName: string, trx: Knex = knex) {
      const role = await requireRole(roleName, trx);
      await trx('user_roles').insert({ user_id: userId, role_id: role.id }).onConflict(['user_id', 'role_id']).ignore();
    },

    async grantPermissionToUser(userId: string, permissionName: string, trx: Knex = knex) {
      const permission = await requirePermission(permissionName, trx);
      await trx('user_permissions')
        .insert({ user_id: userId, permission_id: permission.id })
        .onConflict(['user_id', 'permission_id'])
        .ignore();
    },

    async grantPermissionToClient(clientId: string, permissionName: string, trx: Knex = knex) {
      const permission = await requirePermission(permissionName, trx);
      await trx('client_permissions')
        .insert({ client_id: clientId, permission_id: permission.id })
        .onConflict(['client_id', 'permission_id'])
        .ignore();
    },

    async listPermissions(trx: Knex = knex): Promise<PermissionRow[]> {
      return trx<PermissionRow>('permissions').select('id', 'name', 'description', 'resource').orderBy('name');
    },

    async listRoles(trx: Knex = knex) {
      const roles = await trx<RoleRow>('roles').select('id', 'name', 'description').orderBy('name');
      const links = await trx('role_permissions as rp')
        .join('permissions as p', 'p.id', 'rp.permission_id')
        .select('rp.role_id', 'p.name')
        .orderBy('p.name');
      return roles.map((role) => ({
        ...role,
        permissions: links.filter((link) => link.role_id === role.id).map((link) => link.name as string),
      }));
    },

    /** Role names of a user and the permission names that matter to `audience` (null: all). */
    async claimsForUser(userId: string, audience: string | null, trx: Knex = knex): Promise<TokenClaims> {
      const roles = await trx('user_roles as ur')
        .join('roles as r', 'r.id', 'ur.role_id')
        .where('ur.user_id', userId)
        .orderBy('r.name')
        .pluck('r.name');
      const direct = trx('user_permissions').select('permission_id').where('user_id', userId);
      const viaRoles = trx('role_permissions as rp')
        .join('user_roles as ur', 'ur.role_id', 'rp.role_id')
        .select('rp.permission_id')
        .where('ur.user_id', userId);
      const permissions = await forAudience(
        trx('permissions as p').where((q) => q.whereIn('p.id', direct).orWhereIn('p.id', viaRoles)),
        audience,
      )
        .orderBy('p.name')
        .pluck('p.name');
      return { roles, permissions };
    },

    /** Permission names granted to a client (client credentials), for `audience`. */
    async claimsForClient(clientId: string, audience: string | null, trx: Knex = knex): Promise<TokenClaims> {
      const permissions = await forAudience(
        trx('permissions as p')
          .join('client_permissions as cp', 'cp.permission_id', 'p.id')
          .where('cp.client_id', clientId),
        audience,
      )
        .orderBy('p.name')
        .pluck('p.name');
      return { roles: [], permissions };
    },

    async userHasPermission(userId: string, name: string, trx: Knex = knex): Promise<boolean> {
      const { permissions } = await this.claimsForUser(userId, null, trx);
      return permissions.includes(name) || permissions.includes(superuserPermission);
    },
  };
}

export type AccessStore = ReturnType<typeof createAccessStore>;
