import Router from '@koa/router';
import { z } from 'zod';
import { accessChanges } from '../access/access-changes.ts';
import { apiBase, changeContextOf, jsonBody, pathUser, type AdminDeps, type RouteContext } from './admin-deps.ts';
import { permissionView, roleView } from './api-views.ts';
import { parseBody } from './request-validation.ts';

export const nameRef = z.object({ name: z.string().min(1).max(80) });

/** A user's roles and direct permissions (admin); every change retires the user's current tokens. */
export function userGrantsRoutes(deps: AdminDeps): Router {
  const { auth, domain } = deps;
  const router = new Router({ prefix: apiBase });
  const admin = [auth.authenticate, auth.requireAdmin] as const;
  const changes = (ctx: RouteContext) => accessChanges(changeContextOf(deps, ctx));
  const roles = async (userId: string) =>
    (await domain.access.userRoles(userId)).map((role) => roleView(role, role.permissions));
  const direct = async (userId: string) => (await domain.access.userDirectPermissions(userId)).map(permissionView);

  router.get('/users/:user_id/roles', ...admin, async (ctx) => {
    ctx.body = await roles((await pathUser(deps, ctx)).id);
  });

  router.post('/users/:user_id/roles', ...admin, jsonBody, async (ctx) => {
    const user = await pathUser(deps, ctx);
    await changes(ctx).grantRoleToUser(user.id, parseBody(ctx, nameRef).name);
    ctx.body = await roles(user.id);
  });

  router.delete('/users/:user_id/roles/:role', ...admin, async (ctx) => {
    const user = await pathUser(deps, ctx);
    await changes(ctx).revokeRoleFromUser(user.id, ctx.params.role!);
    ctx.body = await roles(user.id);
  });

  router.get('/users/:user_id/permissions', ...admin, async (ctx) => {
    ctx.body = await direct((await pathUser(deps, ctx)).id);
  });

  router.post('/users/:user_id/permissions', ...admin, jsonBody, async (ctx) => {
    const user = await pathUser(deps, ctx);
    await changes(ctx).grantPermissionToUser(user.id, parseBody(ctx, nameRef).name);
    ctx.body = await direct(user.id);
  });

  router.delete('/users/:user_id/permissions/:permission', ...admin, async (ctx) => {
    const user = await pathUser(deps, ctx);
    await changes(ctx).revokePermissionFromUser(user.id, ctx.params.permission!);
    ctx.body = await direct(user.id);
  });

  return router;
}
