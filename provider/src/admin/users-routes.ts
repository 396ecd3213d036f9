import Router from '@koa/router';
import { TooManyRequests } from '@usher/platform';
import { z } from 'zod';
import { accountChanges } from '../accounts/account-changes.ts';
import { passwordMaxLength } from '../accounts/password-policy.ts';
import { registerUser } from '../accounts/registration.ts';
import { createUserDirectory } from '../accounts/user-directory.ts';
import type { UserRow } from '../accounts/user-store.ts';
import { createSessionStore } from '../oidc/session-store.ts';
import { callerOf } from './admin-auth.ts';
import { apiBase, changeContextOf, jsonBody, pathUser, type AdminDeps, type RouteContext } from './admin-deps.ts';
import { loginView, sessionView, userDetailsView, userView } from './api-views.ts';
import { nullableText, pageParams, parseBody, parseQuery, UnknownReference } from './request-validation.ts';

const listQuery = z.object({
  query: z.string().max(320).optional(),
  ...pageParams,
  blocked: z.enum(['true', 'false']).optional(),
  role: z.string().min(1).max(80).optional(),
  sort: z.enum(['email', '-email', 'created', '-created']).default('email'),
});

const newUser = z.object({
  email: z.string().max(320),
  password: z.string().max(passwordMaxLength),
  first_name: nullableText(100),
  last_name: nullableText(100),
  email_verified: z.boolean().optional(),
});

export const profileUpdate = z.object({
  email: nullableText(320),
  first_name: nullableText(100),
  last_name: nullableText(100),
});

export const passwordChange = z.object({
  old_password: z.string().max(passwordMaxLength),
  new_password: z.string().max(passwordMaxLength),
});

const passwordSet = z.object({ new_password: z.string().max(passwordMaxLength) });

/**
 * A user changing their own email spends the per-account email-change budget, whether the address
 * turns out taken or not: CONTRACTS.md fixes 409 for a taken address, so each try tells whether an
 * address has an account, and only the number of tries can be bounded (refusals are audited too).
 * Administrators are not counted: they can list every account anyway. A change of case is no probe.
 */
export async function limitOwnEmailChange(deps: AdminDeps, ctx: RouteContext, user: UserRow, email: unknown) {
  if (callerOf(ctx).admin || typeof email !== 'string') return;
  const wanted = email.trim().toLowerCase();
  if (!wanted || wanted === user.email.toLowerCase()) return;
  const verdict = await deps.throttle.emailChange(user.id);
  if (!verdict.allowed) {
    throw new TooManyRequests(verdict.retryAfterSeconds, 'Too many email changes, try again later');
  }
}

/** Users: the directory, accounts, blocking, passwords, sign-in history and sessions (admin or *self*). */
export function usersRoutes(deps: AdminDeps): Router {
  const { auth, domain } = deps;
  const router = new Router({ prefix: apiBase });
  const directory = createUserDirectory(domain.knex);
  const sessions = createSessionStore(domain.knex);
  const admin = [auth.authenticate, auth.requireAdmin] as const;
  const self = [auth.authenticate, auth.requireAdminOrSelf] as const;
  const changes = (ctx: RouteContext) => accountChanges(changeContextOf(deps, ctx));

  router.get('/users', ...admin, async (ctx) => {
    const query = parseQuery(ctx, listQuery);
    const size = query['page[size]'];
    const { items, total } = await directory.search({
      query: query.query?.trim() || undefined,
      blocked: query.blocked === undefined ? undefined : query.blocked === 'true',
      role: query.role,
      sort: query.sort,
      offset: query['page[number]'] * size,
      limit: size,
    });
    ctx.body = { items: items.map(userDetailsView), total };
  });

  router.post('/users', ...admin, jsonBody, async (ctx) => {
    const input = parseBody(ctx, newUser);
    const user = await registerUser(
      domain,
      {
        email: input.email,
        password: input.password,
        firstName: input.first_name ?? null,
        lastName: input.last_name ?? null,
        emailVerified: input.email_verified ?? false,
      },
      callerOf(ctx).actor,
    );
    ctx.status = 201;
    ctx.body = userDetailsView(user);
  });

  router.get('/users/:user_id', ...self, async (ctx) => {
    ctx.body = userDetailsView(await pathUser(deps, ctx));
  });

  router.patch('/users/:user_id', ...self, jsonBody, async (ctx) => {
    const user = await pathUser(deps, ctx);
    const input = parseBody(ctx, profileUpdate);
    await limitOwnEmailChange(deps, ctx, user, input.email);
    ctx.body = userDetailsView(await changes(ctx).updateProfile(user.id, input));
  });

  router.delete('/users/:user_id', ...admin, async (ctx) => {
    const user = await pathUser(deps, ctx);
    await changes(ctx).remove(user.id);
    ctx.status = 204;
  });

  router.post('/users/:user_id/block', ...admin, async (ctx) => {
    const user = await pathUser(deps, ctx);
    ctx.body = userDetailsView(await changes(ctx).block(user.id));
  });

  router.post('/users/:user_id/unblock', ...admin, async (ctx) => {
    const user = await pathUser(deps, ctx);
    ctx.body = userDetailsView(await changes(ctx).unblock(user.id));
  });

  router.post('/users/:user_id/password', ...self, jsonBody, async (ctx) => {
    const user = await pathUser(deps, ctx);
    const input = parseBody(ctx, passwordChange);
    const verdict = await deps.throttle.passwordChange(user.id);
    if (!verdict.allowed) throw new TooManyRequests(verdict.retryAfterSeconds);
    const caller = callerOf(ctx);
    // The session the request comes from stays signed in; every other one ends.
    const keep = caller.userId === user.id ? caller.token.sessionId : null;
    ctx.body = userView(await changes(ctx).changePassword(user.id, input.old_password, input.new_password, keep));
  });

  router.put('/users/:user_id/password', ...admin, jsonBody, async (ctx) => {
    const user = await pathUser(deps, ctx);
    const input = parseBody(ctx, passwordSet);
    ctx.body = userView(await changes(ctx).setPassword(user.id, input.new_password));
  });

  router.get('/users/:user_id/logins', ...self, async (ctx) => {
    const user = await pathUser(deps, ctx);
    ctx.body = { logins: (await domain.signIns.forUser(user.id)).map(loginView) };
  });

  router.get('/users/:user_id/sessions', ...admin, async (ctx) => {
    const user = await pathUser(deps, ctx);
    ctx.body = { sessions: await sessionList(deps, await sessions.list(user.id), callerOf(ctx).token.sessionId) };
  });

  router.delete('/users/:user_id/sessions', ...admin, async (ctx) => {
    const user = await pathUser(deps, ctx);
    await changes(ctx).revokeAllSessions(user.id);
    ctx.status = 204;
  });

  router.delete('/users/:user_id/sessions/:session_id', ...admin, async (ctx) => {
    const user = await pathUser(deps, ctx);
    const revoked = await changes(ctx).revokeSession(user.id, ctx.params.session_id!);
    if (!revoked) throw new UnknownReference(`Session ${ctx.params.session_id} not found`, 'session_id', 'path');
    ctx.status = 204;
  });

  return router;
}

/** Sessions as listed, with the names of the clients authorized in them. */
export async function sessionList(
  deps: AdminDeps,
  list: Awaited<ReturnType<ReturnType<typeof createSessionStore>['list']>>,
  current: string | null,
) {
  const names = new Map<string, string | null>();
  for (const clientId of new Set(list.flatMap((session) => session.clientIds))) {
    const client = await deps.domain.clients.find(clientId);
    names.set(clientId, typeof client?.client_name === 'string' ? client.client_name : null);
  }
  return list.map((session) => sessionView(session, names, current));
}
