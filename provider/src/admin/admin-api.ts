import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { HttpProblem, NotFound, type KeyValueStore, type Logger } from '@usher/platform';
import type { ProviderConfig } from '../config.ts';
import type { Domain } from '../domain.ts';
import type { Throttle } from '../security/throttle.ts';
import type { ProviderHolder } from '../oidc/provider-holder.ts';
import type { SecurityEventFeed } from '../security-events/feed.ts';
import { createOpaqueRevocations } from '../security-events/opaque-revocation.ts';
import { createRevocationCheck } from '../security-events/revocation-check.ts';
import { accessRoutes } from './access-routes.ts';
import { accountRoutes } from './account-routes.ts';
import { adminAuth } from './admin-auth.ts';
import { adminCors } from './admin-cors.ts';
import { apiBase, type AdminDeps } from './admin-deps.ts';
import { adminProblems } from './admin-problems.ts';
import { apiDocsRoutes } from './api-docs.ts';
import { auditRoutes } from './audit-routes.ts';
import { createTokenVerifier } from './bearer-tokens.ts';
import { clientsRoutes } from './clients-routes.ts';
import { compatRoutes } from './compat-routes.ts';
import { keysRoutes } from './keys-routes.ts';
import { permissionsRoutes } from './permissions-routes.ts';
import { refuseNulInPath } from './request-validation.ts';
import { rolesRoutes } from './roles-routes.ts';
import { userGrantsRoutes } from './user-grants-routes.ts';
import { usersRoutes } from './users-routes.ts';

/** Paths the admin API answers; the front door hands them to our Koa app. */
export const isAdminApiPath = (path: string) => path === '/api' || path.startsWith('/api/');

/**
 * The admin and account API (CONTRACTS.md 1.3, 1.4; provider/openapi/admin-api.yaml). Bearer
 * tokens only, never cookies, so it cannot be driven cross-site. `/users/me` routes come before
 * `/users/:user_id`, so the literal path wins.
 */
export function adminApi(options: {
  config: ProviderConfig;
  domain: Domain;
  feed: SecurityEventFeed;
  holder: ProviderHolder;
  throttle: Throttle;
  store: KeyValueStore;
  logger: Logger;
}) {
  const verify = createTokenVerifier({
    issuer: options.config.issuer,
    holder: options.holder,
    isRevoked: createRevocationCheck(options.domain.knex),
    opaqueRevocations: createOpaqueRevocations({ knex: options.domain.knex, feed: options.feed }),
  });
  const deps: AdminDeps = { ...options, verify, auth: adminAuth(verify, options.config.adminAudience) };
  const routers: Router[] = [
    accountRoutes(deps),
    compatRoutes(deps),
    accessRoutes(deps),
    userGrantsRoutes(deps),
    usersRoutes(deps),
    rolesRoutes(deps),
    permissionsRoutes(deps),
    clientsRoutes(deps),
    keysRoutes(deps),
    auditRoutes(deps),
  ];
  const cors = adminCors(options.config.USHER_ADMIN_UI_URL);
  const all = [apiDocsRoutes(), ...routers];
  // Router middleware is typed for router contexts; at run time it is plain Koa middleware.
  const chain = all.map((router) => router.routes() as unknown as Middleware);

  /** The methods some route answers at `path` (HEAD along with GET), in a stable order. */
  const allowedAt = (path: string) =>
    [...new Set(all.flatMap((router) => router.match(path, 'GET').path.flatMap((layer) => layer.methods)))].sort();

  /**
   * A request no router answered: a path no route has is a 404; a known path asked with another
   * method is a 405 naming the methods it has (RFC 9110 15.5.6), and OPTIONS lists them.
   */
  function unanswered(ctx: Context) {
    const allowed = allowedAt(ctx.path);
    if (!allowed.length) throw new NotFound(`No such API endpoint: ${ctx.method} ${ctx.path}`);
    const allow = { Allow: allowed.join(', ') };
    if (ctx.method === 'OPTIONS') {
      ctx.set(allow);
      ctx.status = 204;
      return;
    }
    throw new HttpProblem(405, 'method-not-allowed', 'Method Not Allowed', `${ctx.method} is not allowed here`, {
      headers: allow,
    });
  }

  /** Runs the routers in order; a request none of them answers is a problem, not the protocol's. */
  async function handle(ctx: Context) {
    const run = async (i: number): Promise<void> => {
      const middleware = chain[i];
      if (!middleware) return unanswered(ctx);
      await middleware(ctx, () => run(i + 1));
    };
    await cors(ctx, () => adminProblems(ctx, () => refuseNulInPath(ctx, () => run(0))));
  }

  return {
    handle,
    /** Every API route as [METHOD, OpenAPI path] (relative to /api/v1), for the routes-vs-spec test. */
    routeTable(): [string, string][] {
      return routers.flatMap((router) =>
        router.stack.flatMap((layer) =>
          layer.methods
            .filter((method) => method !== 'HEAD')
            .map(
              (method) =>
                [
                  method,
                  String(layer.path)
                    .slice(apiBase.length)
                    .replace(/:(\w+)/g, '{$1}'),
                ] as [string, string],
            ),
        ),
      );
    },
  };
}
