import Router from '@koa/router';
import { evaluatePermissionQuery, InvalidPermissionQuery, parsePermissionQuery } from '@usher/contracts';
import type { Context } from 'koa';
import { createCombinedPermissionsCache } from '../access/claims-cache.ts';
import { permissionsAdmin, superuserPermission } from '../access/permission-names.ts';
import { uuidPattern } from '../accounts/user-store.ts';
import { apiBase, type AdminDeps, type RouteContext } from './admin-deps.ts';
import { permissionView } from './api-views.ts';
import { TokenRefused, type VerifiedToken } from './bearer-tokens.ts';

/** CONTRACTS.md 1.3 fixes `{"msg"}` bodies for these endpoints, not problem+json. */
function answer(ctx: Context, status: number, msg: string, headers: Record<string, string> = {}) {
  ctx.status = status;
  ctx.set(headers);
  ctx.body = { msg };
}

const tokenStatus: Record<TokenRefused['fault'], number> = {
  missing: 401,
  expired: 401,
  revoked: 401,
  malformed: 422,
  signature: 422,
  audience: 422,
};

/**
 * The compatibility endpoints other services call on every request (CONTRACTS.md 1.3): token
 * validation, and a user's combined permissions with the any/all validation query. Verification is
 * local (keys in memory, one indexed lookup for revocation) and permissions are cached briefly.
 */
export function compatRoutes(deps: AdminDeps): Router {
  const { config, domain, verify } = deps;
  const router = new Router({ prefix: apiBase });
  const combined = createCombinedPermissionsCache(
    domain.access,
    async (userId) => (await domain.users.findById(userId)) !== undefined,
  );

  async function token(ctx: Context): Promise<VerifiedToken | null> {
    try {
      return await verify(ctx.get('authorization') || undefined);
    } catch (error) {
      if (!(error instanceof TokenRefused)) throw error;
      const status = tokenStatus[error.fault];
      answer(ctx, status, error.message, status === 401 ? { 'WWW-Authenticate': 'Bearer error="invalid_token"' } : {});
      return null;
    }
  }

  /**
   * The user itself (a token of any audience, as for token validation), else an admin call: an admin
   * or a client acting for itself (client credentials), with a token for the admin API's audience,
   * as every other admin route requires. Answers why it may not, or null when it may.
   */
  function refusal(caller: VerifiedToken, userId: string): 'audience' | 'permission' | null {
    if (!caller.machine && caller.subject === userId) return null;
    if (!caller.audiences.includes(config.adminAudience)) return 'audience';
    if (caller.machine) return null;
    const held = caller.permissions ?? [];
    return held.includes(permissionsAdmin) || held.includes(superuserPermission) ? null : 'permission';
  }

  /** Token, then id, then authorization, then the user: answers the permissions or null (already answered). */
  async function permissionsFor(ctx: RouteContext) {
    const caller = await token(ctx);
    if (!caller) return null;
    const userId = ctx.params.user_id ?? '';
    if (!uuidPattern.test(userId)) return (answer(ctx, 400, 'user_id must be a UUID'), null);
    const refused = refusal(caller, userId.toLowerCase());
    if (refused === 'audience') return (answer(ctx, tokenStatus.audience, 'The token is not meant for this API'), null);
    if (refused === 'permission') {
      return (
        answer(ctx, 403, 'Not enough permissions', { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' }),
        null
      );
    }
    const rows = await combined(userId.toLowerCase());
    if (!rows) return (answer(ctx, 404, 'User not found'), null);
    return rows;
  }

  router.get('/auth_token/validation', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (await token(ctx)) answer(ctx, 200, 'Token is valid');
  });

  router.get('/users/:user_id/combined_permissions', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const rows = await permissionsFor(ctx);
    if (rows) ctx.body = rows.map(permissionView);
  });

  router.get('/users/:user_id/combined_permissions/validation', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const rows = await permissionsFor(ctx);
    if (!rows) return;
    const raw = new URLSearchParams(ctx.querystring).get('permissions');
    if (raw === null || raw === '') return answer(ctx, 400, 'Missing permissions query parameter');
    let query;
    try {
      query = parsePermissionQuery(JSON.parse(raw));
    } catch (error) {
      return answer(
        ctx,
        400,
        error instanceof InvalidPermissionQuery
          ? `Invalid permissions query: ${error.message}`
          : 'permissions is not JSON',
      );
    }
    ctx.body = {
      valid: evaluatePermissionQuery(
        query,
        rows.map((row) => row.name),
      ),
    };
  });

  return router;
}
