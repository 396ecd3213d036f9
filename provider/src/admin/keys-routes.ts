import Router from '@koa/router';
import { rotateSigningKeys } from '../keys/key-rotation.ts';
import { callerOf } from './admin-auth.ts';
import { apiBase, type AdminDeps } from './admin-deps.ts';
import { keyView } from './api-views.ts';

/** Signing keys (admin): the published set, and rotation without a restart. */
export function keysRoutes(deps: AdminDeps): Router {
  const { auth, domain } = deps;
  const router = new Router({ prefix: apiBase });
  const admin = [auth.authenticate, auth.requireAdmin] as const;

  router.get('/keys', ...admin, async (ctx) => {
    ctx.body = (await domain.keys.published()).map(keyView);
  });

  router.post('/keys/rotate', ...admin, async (ctx) => {
    const { activated, retired } = await rotateSigningKeys({
      config: deps.config,
      domain,
      store: deps.store,
      actor: callerOf(ctx).actor,
      unannounced: (error) =>
        deps.logger.warn({ err: error }, 'could not announce a key rotation; instances follow by polling'),
    });
    // This instance follows at once; the others on the announcement or their next poll.
    await deps.holder.refresh();
    ctx.body = { activated, retired, keys: (await domain.keys.published()).map(keyView) };
  });

  return router;
}
