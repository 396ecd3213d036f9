import { isUniqueViolation, type Knex } from '@usher/platform';
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

/**
 * Orders by a name column in code-unit order, like JavaScript's sort: names are ASCII, and the
 * database's default collation (often a locale one) would sort case and punctuation differently.
 */
export const codeUnitOrder = '?? collate "C"';

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
      return trx<PermissionRow>('permissions')
        .select('id', 'name', 'description', 'resource')
        .orderByRaw(codeUnitOrder, ['name']);
    },

    /** Every role with its permissions, both sorted by name. */
    async listRoles(trx: Knex = knex): Promise<(RoleRow & { permissions: PermissionRow[] })[]> {
      const roles: RoleRow[] = await trx('roles')
        .select('id', 'name', 'description')
        .orderByRaw(codeUnitOrder, ['name']);
      const links: (PermissionRow & { role_id: string })[] = await trx('role_permissions as rp')
        .join('permissions as p', 'p.id', 'rp.permission_id')
        .select('rp.role_id', 'p.id', 'p.name', 'p.description', 'p.resource')
        .orderByRaw(codeUnitOrder, ['p.name']);
      return roles.map((role) => ({
        ...role,
        permissions: links
          .filter((link) => link.role_id === role.id)
          .map(({ role_id: _role, ...permission }) => permission),
      }));
    },

    /** Role names of a user and the permission names that matter to `audience` (null: all). */
    async claimsForUser(userId: string, audience: string | null, trx: Knex = knex): Promise<TokenClaims> {
      const roles = await trx('user_roles as ur')
        .join('roles as r', 'r.id', 'ur.role_id')
        .where('ur.user_id', userId)
        .orderByRaw(codeUnitOrder, ['r.name'])
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
        .orderByRaw(codeUnitOrder, ['p.name'])
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
        .orderByRaw(codeUnitOrder, ['p.name'])
        .pluck('p.name');
      return { roles: [], permissions };
    },

    async updatePermission(
      name: string,
      changes: { description?: string | null; resource?: string | null },
      trx: Knex = knex,
    ): Promise<PermissionRow> {
      const current = await requirePermission(name, trx);
      if (!Object.keys(changes).length) return current;
      const [row] = await trx<PermissionRow>('permissions')
        .where({ id: current.id })
        .update(changes)
        .returning(['id', 'name', 'description', 'resource']);
      return row!;
    },

    async deletePermission(name: string, trx: Knex = knex): Promise<PermissionRow> {
      const permission = await requirePermission(name, trx);
      await trx('permissions').where({ id: permission.id }).delete();
      return permission;
    },

    async updateRole(
      name: string,
      changes: { name?: string; description?: string | null },
      trx: Knex = knex,
    ): Promise<RoleRow> {
      const current = await requireRole(name, trx);
      if (!Object.keys(changes).length) return current;
      try {
        const [row] = await trx<RoleRow>('roles')
          .where({ id: current.id })
          .update(changes)
          .returning(['id', 'name', 'description']);
        return row!;
      } catch (error) {
        if (isUniqueViolation(error)) throw new NameTaken('Role', changes.name ?? name);
        throw error;
      }
    },

    async deleteRole(name: string, trx: Knex = knex): Promise<RoleRow> {
      const role = await requireRole(name, trx);
      await trx('roles').where({ id: role.id }).delete();
      return role;
    },

    async revokePermissionFromRole(roleName: string, permissionName: string, trx: Knex = knex) {
      const [role, permission] = await Promise.all([
        requireRole(roleName, trx),
        requirePermission(permissionName, trx),
      ]);
      await trx('role_permissions').where({ role_id: role.id, permission_id: permission.id }).delete();
    },

    async revokeRoleFromUser(userId: string, roleName: string, trx: Knex = knex) {
      const role = await requireRole(roleName, trx);
      await trx('user_roles').where({ user_id: userId, role_id: role.id }).delete();
    },

    async revokePermissionFromUser(userId: string, permissionName: string, trx: Knex = knex) {
      const permission = await requirePermission(permissionName, trx);
      await trx('user_permissions').where({ user_id: userId, permission_id: permission.id }).delete();
    },

    async revokePermissionFromClient(clientId: string, permissionName: string, trx: Knex = knex) {
      const permission = await requirePermission(permissionName, trx);
      await trx('client_permissions').where({ client_id: clientId, permission_id: permission.id }).delete();
    },

    async rolePermissions(roleId: string, trx: Knex = knex): Promise<PermissionRow[]> {
      return trx('permissions as p')
        .join('role_permissions as rp', 'rp.permission_id', 'p.id')
        .where('rp.role_id', roleId)
        .orderByRaw(codeUnitOrder, ['p.name'])
        .select('p.id', 'p.name', 'p.description', 'p.resource');
    },

    /** Roles of a user, each with its permissions, sorted by name. */
    async userRoles(userId: string, trx: Knex = knex): Promise<(RoleRow & { permissions: PermissionRow[] })[]> {
      const roles: RoleRow[] = await trx('roles as r')
        .join('user_roles as ur', 'ur.role_id', 'r.id')
        .where('ur.user_id', userId)
        .orderByRaw(codeUnitOrder, ['r.name'])
        .select('r.id', 'r.name', 'r.description');
      return Promise.all(
        roles.map(async (role) => ({ ...role, permissions: await this.rolePermissions(role.id, trx) })),
      );
    },

    async userDirectPermissions(userId: string, trx: Knex = knex): Promise<PermissionRow[]> {
      return trx('permissions as p')
        .join('user_permissions as up', 'up.permission_id', 'p.id')
        .where('up.user_id', userId)
        .orderByRaw(codeUnitOrder, ['p.name'])
        .select('p.id', 'p.name', 'p.description', 'p.resource');
    },

    async clientPermissions(clientId: string, trx: Knex = knex): Promise<PermissionRow[]> {
      return trx('permissions as p')
        .join('client_permissions as cp', 'cp.permission_id', 'p.id')
        .where('cp.client_id', clientId)
        .orderByRaw(codeUnitOrder, ['p.name'])
        .select('p.id', 'p.name', 'p.description', 'p.resource');
    },

    /** Direct and role permissions of a user (every audience), sorted by name. */
    async combinedPermissions(userId: string, trx: Knex = knex): Promise<PermissionRow[]> {
      const direct = trx('user_permissions').select('permission_id').where('user_id', userId);
      const viaRoles = trx('role_permissions as rp')
        .join('user_roles as ur', 'ur.role_id', 'rp.role_id')
        .select('rp.permission_id')
        .where('ur.user_id', userId);
      return trx('permissions as p')
        .where((q) => q.whereIn('p.id', direct).orWhereIn('p.id', viaRoles))
        .orderByRaw(codeUnitOrder, ['p.name'])
        .select('p.id', 'p.name', 'p.description', 'p.resource');
    },

    /** Who holds a role: its users. */
    async roleHolders(roleId: string, trx: Knex = knex): Promise<string[]> {
      return trx('user_roles').where({ role_id: roleId }).pluck('user_id');
    },

    /** Every subject (user id or client id) whose tokens may carry a permission. */
    async permissionHolders(permissionId: string, trx: Knex = knex): Promise<string[]> {
      const direct = await trx('user_permissions').where({ permission_id: permissionId }).pluck('user_id');
      const viaRoles = await trx('user_roles as ur')
        .join('role_permissions as rp', 'rp.role_id', 'ur.role_id')
        .where('rp.permission_id', permissionId)
        .distinct()
        .pluck('ur.user_id');
      const clients = await trx('client_permissions').where({ permission_id: permissionId }).pluck('client_id');
      return [...new Set<string>([...direct, ...viaRoles, ...clients])];
    },

    async userHasPermission(userId: string, name: string, trx: Knex = knex): Promise<boolean> {
      const { permissions } = await this.claimsForUser(userId, null, trx);
      return permissions.includes(name) || permissions.includes(superuserPermission);
    },
  };
}

export type AccessStore = ReturnType<typeof createAccessStore>;
