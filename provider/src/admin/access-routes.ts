import Router from '@koa/router';
import { InvalidPermissionQuery, parsePermissionQuery, type PermissionQuery } from '@usher/contracts';
import { z } from 'zod';
import { previewClaims } from '../access/claims-preview.ts';
import { explainPermissions } from '../access/permission-explanation.ts';
import { permissionNamePattern } from '../access/permission-names.ts';
import { apiBase, pathUser, type AdminDeps } from './admin-deps.ts';
import { InvalidInput, parseQuery } from './request-validation.ts';

const explanationQuery = z.object({
  permission: z.string().regex(permissionNamePattern, 'Not a permission name').optional(),
  permissions: z.string().max(16_384).optional(),
});

/** One name, or a JSON any/all query; exactly one of the two parameters. */
function queryOf(input: z.infer<typeof explanationQuery>): PermissionQuery {
  if ((input.permission === undefined) === (input.permissions === undefined)) {
    throw new InvalidInput([{ field: 'permission', in: 'query', message: 'Give either permission or permissions' }]);
  }
  if (input.permission !== undefined) return { all: [input.permission] };
  try {
    return parsePermissionQuery(JSON.parse(input.permissions!));
  } catch (error) {
    const message = error instanceof InvalidPermissionQuery ? error.message : 'Not JSON';
    throw new InvalidInput([{ field: 'permissions', in: 'query', message }]);
  }
}

/** Why a user has a permission or not, and what their tokens would say (admin). */
export function accessRoutes(deps: AdminDeps): Router {
  const { auth, domain, config } = deps;
  const router = new Router({ prefix: apiBase });
  const admin = [auth.authenticate, auth.requireAdmin] as const;

  router.get('/users/:user_id/permission_explanation', ...admin, async (ctx) => {
    const user = await pathUser(deps, ctx);
    const query = queryOf(parseQuery(ctx, explanationQuery));
    ctx.body = { user_id: user.id, query, ...(await explainPermissions(domain.knex, user.id, query)) };
  });

  router.get('/users/:user_id/token_claims_preview', ...admin, async (ctx) => {
    const user = await pathUser(deps, ctx);
    const audiences = await previewClaims({
      access: domain.access,
      resources: domain.resources,
      issuer: config.issuer,
      adminAudience: config.adminAudience,
      userId: user.id,
      tokenTtl: config.ACCESS_TOKEN_TTL,
    });
    ctx.body = { user_id: user.id, audiences };
  });

  return router;
}
