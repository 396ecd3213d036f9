import Router from '@koa/router';
import { NotFound, TooManyRequests } from '@usher/platform';
import type { Context } from 'koa';
import { accountChanges } from '../accounts/account-changes.ts';
import { createSessionStore } from '../oidc/session-store.ts';
import { createIdentityStore } from '../upstreams/identity-store.ts';
import { callerOf } from './admin-auth.ts';
import { apiBase, changeContextOf, jsonBody, type AdminDeps } from './admin-deps.ts';
import { identityView, loginView, userDetailsView, userView } from './api-views.ts';
import { parseBody, UnknownReference } from './request-validation.ts';
import { limitOwnEmailChange, passwordChange, profileUpdate, sessionList } from './users-routes.ts';

/** Self-service for any signed-in user: `/users/me` and what hangs off it. */
export function accountRoutes(deps: AdminDeps): Router {
  const { auth, domain } = deps;
  const router = new Router({ prefix: apiBase });
  const signedIn = [auth.authenticate, auth.requireUser] as const;
  const sessions = createSessionStore(domain.knex);
  const identities = createIdentityStore(domain.knex, domain.audit);
  const changes = (ctx: Context) => accountChanges(changeContextOf(deps, ctx));

  async function me(ctx: Context) {
    const user = await domain.users.findById(callerOf(ctx).userId!);
    // A token outliving its account is revoked (account-purged); this covers the instant between.
    if (!user) throw new NotFound('The account no longer exists');
    return user;
  }

  async function meView(ctx: Context) {
    const user = await me(ctx);
    const { roles, permissions } = await domain.access.claimsForUser(user.id, null);
    return { ...userDetailsView(user), roles, permissions };
  }

  router.get('/users/me', ...signedIn, async (ctx) => {
    ctx.body = await meView(ctx);
  });

  router.patch('/users/me', ...signedIn, jsonBody, async (ctx) => {
    const user = await me(ctx);
    const input = parseBody(ctx, profileUpdate);
    await limitOwnEmailChange(deps, ctx, user, input.email);
    await changes(ctx).updateProfile(user.id, input);
    ctx.body = await meView(ctx);
  });

  router.post('/users/me/password', ...signedIn, jsonBody, async (ctx) => {
    const user = await me(ctx);
    const input = parseBody(ctx, passwordChange);
    const verdict = await deps.throttle.passwordChange(user.id);
    if (!verdict.allowed) throw new TooManyRequests(verdict.retryAfterSeconds);
    const keep = callerOf(ctx).token.sessionId;
    ctx.body = userView(await changes(ctx).changePassword(user.id, input.old_password, input.new_password, keep));
  });

  router.get('/users/me/logins', ...signedIn, async (ctx) => {
    const user = await me(ctx);
    ctx.body = { logins: (await domain.signIns.forUser(user.id)).map(loginView) };
  });

  router.get('/users/me/sessions', ...signedIn, async (ctx) => {
    const user = await me(ctx);
    ctx.body = { sessions: await sessionList(deps, await sessions.list(user.id), callerOf(ctx).token.sessionId) };
  });

  router.delete('/users/me/sessions/:session_id', ...signedIn, async (ctx) => {
    const user = await me(ctx);
    if (!(await changes(ctx).revokeSession(user.id, ctx.params.session_id!))) {
      throw new UnknownReference(`Session ${ctx.params.session_id} not found`, 'session_id', 'path');
    }
    ctx.status = 204;
  });

  router.get('/users/me/identities', ...signedIn, async (ctx) => {
    const user = await me(ctx);
    ctx.body = {
      identities: (await identities.listForUser(user.id)).map(identityView),
      has_password: Boolean(user.password_hash),
    };
  });

  router.delete('/users/me/identities/:identity_id', ...signedIn, async (ctx) => {
    const user = await me(ctx);
    await identities.unlink(user.id, ctx.params.identity_id!, user.id);
    ctx.status = 204;
  });

  return router;
}
