import Router from '@koa/router';
import { z } from 'zod';
import { accessChanges } from '../access/access-changes.ts';
import { permissionNamePattern } from '../access/permission-names.ts';
import { apiBase, changeContextOf, jsonBody, type AdminDeps, type RouteContext } from './admin-deps.ts';
import { permissionView } from './api-views.ts';
import { nullableText, parseBody } from './request-validation.ts';

/** A resource indicator (RFC 8707): an absolute http(s) URI without a fragment. */
const resourceIdentifier = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !value.includes('#');
    } catch {
      return false;
    }
  }, 'Must be an absolute http(s) URI without a fragment')
  .nullable()
  .optional();

const newPermission = z.object({
  name: z.string().regex(permissionNamePattern, '1..80 characters of A-Z a-z 0-9 _ . : -'),
  description: nullableText(256),
  resource: resourceIdentifier,
});

const permissionUpdate = z.object({ description: nullableText(256), resource: resourceIdentifier });

/** Permissions (admin); the name is immutable, as tokens and resource servers refer to it. */
export function permissionsRoutes(deps: AdminDeps): Router {
  const { auth, domain } = deps;
  const router = new Router({ prefix: apiBase });
  const admin = [auth.authenticate, auth.requireAdmin] as const;
  const changes = (ctx: RouteContext) => accessChanges(changeContextOf(deps, ctx));

  router.get('/permissions', ...admin, async (ctx) => {
    ctx.body = (await domain.access.listPermissions()).map(permissionView);
  });

  router.post('/permissions', ...admin, jsonBody, async (ctx) => {
    const input = parseBody(ctx, newPermission);
    const row = await changes(ctx).createPermission({
      name: input.name,
      description: input.description || null,
      resource: input.resource ?? null,
    });
    ctx.status = 201;
    ctx.body = permissionView(row);
  });

  router.get('/permissions/:permission', ...admin, async (ctx) => {
    ctx.body = permissionView(await domain.access.requirePermission(ctx.params.permission!));
  });

  router.patch('/permissions/:permission', ...admin, jsonBody, async (ctx) => {
    const input = parseBody(ctx, permissionUpdate);
    const update: { description?: string | null; resource?: string | null } = {};
    if (input.description !== undefined) update.description = input.description || null;
    if (input.resource !== undefined) update.resource = input.resource;
    ctx.body = permissionView(await changes(ctx).updatePermission(ctx.params.permission!, update));
  });

  router.delete('/permissions/:permission', ...admin, async (ctx) => {
    await changes(ctx).deletePermission(ctx.params.permission!);
    ctx.status = 204;
  });

  return router;
}
