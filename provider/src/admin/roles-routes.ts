import Router from '@koa/router';
import { z } from 'zod';
import { accessChanges } from '../access/access-changes.ts';
import type { RoleRow } from '../access/access-store.ts';
import { apiBase, changeContextOf, jsonBody, type AdminDeps, type RouteContext } from './admin-deps.ts';
import { permissionView, roleView } from './api-views.ts';
import { nullableText, parseBody } from './request-validation.ts';
import { nameRef } from './user-grants-routes.ts';

/** Role names have no fixed alphabet, but stray spaces or control characters are always mistakes. */
const roleName = z
  .string()
  .min(1)
  .max(80)
  // eslint-disable-next-line no-control-regex
  .refine((name) => name.trim() === name && !/[\u0000-\u001f\u007f]/.test(name), {
    message: 'No surrounding spaces or control characters',
  });

const newRole = z.object({ name: roleName, description: nullableText(256) });
const roleUpdate = z.object({ name: roleName.optional(), description: nullableText(256) });

/** Roles and the permissions attached to them (admin). */
export function rolesRoutes(deps: AdminDeps): Router {
  const { auth, domain } = deps;
  const router = new Router({ prefix: apiBase });
  const admin = [auth.authenticate, auth.requireAdmin] as const;
  const changes = (ctx: RouteContext) => accessChanges(changeContextOf(deps, ctx));
  const view = async (role: RoleRow) => roleView(role, await domain.access.rolePermissions(role.id));

  router.get('/roles', ...admin, async (ctx) => {
    ctx.body = (await domain.access.listRoles()).map((role) => roleView(role, role.permissions));
  });

  router.post('/roles', ...admin, jsonBody, async (ctx) => {
    const input = parseBody(ctx, newRole);
    const role = await changes(ctx).createRole({ name: input.name, description: input.description ?? null });
    ctx.status = 201;
    ctx.body = await view(role);
  });

  router.get('/roles/:role', ...admin, async (ctx) => {
    ctx.body = await view(await domain.access.requireRole(ctx.params.role!));
  });

  router.patch('/roles/:role', ...admin, jsonBody, async (ctx) => {
    const input = parseBody(ctx, roleUpdate);
    const update: { name?: string; description?: string | null } = {};
    if (input.name !== undefined) update.name = input.name;
    if (input.description !== undefined) update.description = input.description || null;
    ctx.body = await view(await changes(ctx).updateRole(ctx.params.role!, update));
  });

  router.delete('/roles/:role', ...admin, async (ctx) => {
    await changes(ctx).deleteRole(ctx.params.role!);
    ctx.status = 204;
  });

  router.post('/roles/:role/permissions', ...admin, jsonBody, async (ctx) => {
    const { name } = parseBody(ctx, nameRef);
    await changes(ctx).attachPermissionToRole(ctx.params.role!, name);
    const role = await domain.access.requireRole(ctx.params.role!);
    ctx.body = (await domain.access.rolePermissions(role.id)).map(permissionView);
  });

  router.delete('/roles/:role/permissions/:permission', ...admin, async (ctx) => {
    await changes(ctx).detachPermissionFromRole(ctx.params.role!, ctx.params.permission!);
    const role = await domain.access.requireRole(ctx.params.role!);
    ctx.body = (await domain.access.rolePermissions(role.id)).map(permissionView);
  });

  return router;
}
