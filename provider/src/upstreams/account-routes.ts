import { formBody } from '../ops/form-body.ts';
import Router from '@koa/router';
import type { Logger } from '@usher/platform';
import type { Context, Next } from 'koa';
import type { UserRow } from '../accounts/user-store.ts';
import type { Domain } from '../domain.ts';
import type { Csrf } from '../interactions/csrf.ts';
import { render, text } from '../interactions/interaction-steps.ts';
import { identitiesPage } from '../interactions/views/account-pages.ts';
import * as pages from '../interactions/views/pages.ts';
import { browserSession } from '../oidc/browser-session.ts';
import type { ProviderHolder } from '../oidc/provider-holder.ts';
import { IdentityNotFound, IdentityTaken, LastSignInMethod, type IdentityStore } from './identity-store.ts';
import type { SocialAccounts } from './social-accounts.ts';
import { StateMismatch, UpstreamFailure, causeChain } from './upstream-errors.ts';
import type { FlowStore } from './upstream-flow-store.ts';
import type { UpstreamRegistry } from './upstream-registry.ts';
import { answerError } from './upstream-routes.ts';

export interface AccountRouteDeps {
  holder: ProviderHolder;
  csrf: Csrf;
  domain: Domain;
  upstreams: UpstreamRegistry;
  flows: FlowStore;
  social: SocialAccounts;
  identities: IdentityStore;
  logger: Logger;
}

interface AccountState {
  user: UserRow;
  form: Record<string, string>;
}

const page = '/account/identities';

/**
 * The signed-in user's account page for ways to sign in: see linked identities, unlink one (never the
 * last way to sign in), link another upstream. "Signed in" is oidc-provider's browser session.
 */
export function accountRoutes(deps: AccountRouteDeps): Router {
  const { holder, csrf, domain, upstreams, flows, social, identities, logger } = deps;
  const router = new Router({ prefix: '/account' });
  const state = (ctx: Context) => ctx.state as AccountState;
  const csrfScope = (user: UserRow) => `account:${user.id}`;

  async function requireSession(ctx: Context, next: Next) {
    const session = await browserSession(holder.current, ctx);
    const user = session ? await domain.users.findById(session.accountId) : undefined;
    if (!user || user.blocked_at) {
      render(
        ctx,
        pages.errorPage({
          title: 'You are not signed in',
          message: 'Sign in to an application that uses Usher, then come back to this page.',
        }),
        401,
      );
      return;
    }
    state(ctx).user = user;
    await next();
  }

  async function show(
    ctx: Context,
    options: { notice?: string | undefined; error?: string | undefined; status?: number } = {},
  ) {
    const { user } = state(ctx);
    const linked = await identities.listForUser(user.id);
    const nameOf = (id: string) => upstreams.get(id)?.name ?? id;
    render(
      ctx,
      identitiesPage({
        email: user.email,
        hasPassword: Boolean(user.password_hash),
        identities: linked.map((identity) => ({
          upstreamName: nameOf(identity.provider),
          email: identity.email,
          linkedAt: identity.created_at,
          unlinkAction: `${page}/${identity.id}/unlink`,
          canUnlink: Boolean(user.password_hash) || linked.length > 1,
        })),
        linkable: upstreams
          .list()
          .filter((upstream) => !linked.some((identity) => identity.provider === upstream.id))
          .map((upstream) => ({ name: upstream.name, url: `${page}/link/${upstream.id}` })),
        csrf: csrf.issue(ctx, csrfScope(user)),
        notice: options.notice,
        error: options.error,
      }),
      options.status,
    );
  }

  router.get('/identities', requireSession, async (ctx) => {
    const linked = upstreams.get(text(ctx.query.linked, 40));
    const unlinked = upstreams.get(text(ctx.query.unlinked, 40));
    await show(ctx, {
      notice: linked ? `${linked.name} is now linked.` : unlinked ? `${unlinked.name} was unlinked.` : undefined,
    });
  });

  const parseForm = formBody(16 * 1024);

  router.post('/identities/:identity/unlink', parseForm, requireSession, async (ctx) => {
    const { user } = state(ctx);
    const submitted = (ctx.request as { body?: Record<string, unknown> }).body?.csrf;
    if (!csrf.verify(ctx, csrfScope(user), submitted)) {
      return show(ctx, { error: 'This form expired. Try again.', status: 403 });
    }
    const identity = (await identities.listForUser(user.id)).find((row) => row.id === ctx.params.identity);
    try {
      await identities.unlink(user.id, ctx.params.identity!, user.id);
    } catch (error) {
      if (error instanceof LastSignInMethod) {
        return show(ctx, { error: 'This is your only way to sign in, so it cannot be unlinked.', status: 409 });
      }
      if (error instanceof IdentityNotFound) return show(ctx, { error: 'That link no longer exists.', status: 404 });
      throw error;
    }
    logger.info({ sub: user.id, upstream: identity?.provider }, 'unlinked an upstream identity');
    ctx.status = 303;
    ctx.redirect(`${page}?unlinked=${encodeURIComponent(identity?.provider ?? '')}`);
  });

  router.get('/identities/link/:upstream', requireSession, async (ctx) => {
    const upstream = upstreams.get(ctx.params.upstream);
    if (!upstream) return show(ctx, { error: 'This way of signing in is not available.', status: 404 });
    try {
      const location = await upstream.begin({ purpose: 'link', accountId: state(ctx).user.id });
      ctx.status = 303;
      ctx.redirect(location);
    } catch (error) {
      if (!(error instanceof UpstreamFailure)) throw error;
      await show(ctx, { error: error.userMessage(upstream.name), status: error.status });
    }
  });

  router.get('/identities/return/:upstream', requireSession, async (ctx) => {
    const { user } = state(ctx);
    const upstream = upstreams.get(ctx.params.upstream);
    if (!upstream) return show(ctx, { error: 'This way of signing in is not available.', status: 404 });
    const response = new URLSearchParams(ctx.querystring);
    try {
      const flow = await flows.take(response.get('state'));
      // Bound to the account that started it: another browser's (or user's) answer links nothing.
      if (!flow || flow.purpose !== 'link' || flow.accountId !== user.id || flow.upstream !== upstream.id) {
        throw new StateMismatch('no link flow of this account has this state');
      }
      const refused = answerError(response);
      if (refused) throw refused;
      const profile = await upstream.complete(flow, response);
      const existing = await identities.find(upstream.id, profile.subject);
      if (existing && existing.user_id !== user.id) {
        return show(ctx, { error: `This ${upstream.name} account is already linked to another account.`, status: 409 });
      }
      if (!existing) await social.link(upstream.id, profile, user.id);
      logger.info({ sub: user.id, upstream: upstream.id }, 'linked an upstream identity from the account page');
      ctx.status = 303;
      ctx.redirect(`${page}?linked=${encodeURIComponent(upstream.id)}`);
    } catch (error) {
      if (error instanceof IdentityTaken) {
        return show(ctx, { error: `This ${upstream.name} account is already linked to another account.`, status: 409 });
      }
      if (!(error instanceof UpstreamFailure)) throw error;
      logger.info(
        { upstream: upstream.id, result: error.result, reason: error.message, cause: causeChain(error.cause) },
        'upstream link failed',
      );
      await show(ctx, { error: error.userMessage(upstream.name), status: error.status });
    }
  });

  return router;
}
