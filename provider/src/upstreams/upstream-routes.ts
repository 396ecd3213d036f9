import Router from '@koa/router';
import type { Logger } from '@usher/platform';
import type { Context, Next } from 'koa';
import type { SignInResult } from '../accounts/sign-in-log.ts';
import type { Domain } from '../domain.ts';
import type { Csrf } from '../interactions/csrf.ts';
import { interactionPaths, render, type InteractionSteps } from '../interactions/interaction-steps.ts';
import { tooManyFailures, type PasswordCheck } from '../interactions/password-check.ts';
import { linkAccountPage } from '../interactions/views/account-pages.ts';
import * as pages from '../interactions/views/pages.ts';
import type { Metrics } from '../ops/metrics.ts';
import { IdentityTaken, type IdentityStore } from './identity-store.ts';
import type { PendingLinkStore } from './pending-link-store.ts';
import type { SocialAccounts } from './social-accounts.ts';
import {
  StateMismatch,
  UpstreamCancelled,
  UpstreamFailure,
  UpstreamTimeout,
  UpstreamUnavailable,
  causeChain,
} from './upstream-errors.ts';
import type { FlowStore } from './upstream-flow-store.ts';
import type { Upstream, UpstreamRegistry } from './upstream-registry.ts';

export interface UpstreamRouteDeps {
  steps: InteractionSteps;
  csrf: Csrf;
  domain: Domain;
  upstreams: UpstreamRegistry;
  flows: FlowStore;
  social: SocialAccounts;
  identities: IdentityStore;
  pending: PendingLinkStore;
  checkPassword: PasswordCheck;
  metrics: Metrics;
  logger: Logger;
}

/** Where the browser lands back from an upstream to finish a flow of each purpose (see the callback). */
export const returnPaths = {
  'sign-in': (uid: string, upstream: string) => `/interaction/${uid}/upstream/${upstream}/return`,
  link: (upstream: string) => `/account/identities/return/${upstream}`,
};

/** Reads the error of an authorization response, after its state was checked. */
export function answerError(response: URLSearchParams): UpstreamFailure | null {
  const error = response.get('error');
  if (!error) return null;
  return error === 'access_denied'
    ? new UpstreamCancelled('access denied')
    : new UpstreamUnavailable(`the upstream answered ${error.slice(0, 64)}`);
}

/**
 * Sign-in with an upstream inside an oidc-provider interaction: the button starts a flow bound to the
 * interaction; the upstream's answer comes back through the callback to the interaction's own URL
 * (where its cookie proves it is the same browser), which completes the original client's request.
 */
export function upstreamInteractionRoutes(deps: UpstreamRouteDeps): Router {
  const { steps, csrf, domain, upstreams, flows, social, pending, metrics, logger } = deps;
  const { state, loadInteraction, parseForm, collectForm, requireCsrf, requirePrompt, finish, showSignIn } = steps;
  const router = new Router({ prefix: '/interaction/:uid' });
  const chosen = (ctx: Context) => ctx.state as { upstream: Upstream };
  const linkPath = (uid: string) => `/interaction/${uid}/link`;

  async function record(ctx: Context, upstream: Upstream, result: SignInResult, user?: { id: string; email: string }) {
    await domain.signIns.record({
      userId: user?.id ?? null,
      email: user?.email ?? null,
      ipAddress: ctx.ip,
      userAgent: ctx.get('user-agent') || null,
      method: upstream.method,
      result,
    });
    metrics.signIns.inc({ method: upstream.method, result });
  }

  async function requireUpstream(ctx: Context, next: Next) {
    const upstream = upstreams.get(ctx.params.upstream);
    if (!upstream) {
      render(ctx, pages.errorPage({ title: 'Not found', message: 'This way of signing in is not available.' }), 404);
      return;
    }
    chosen(ctx).upstream = upstream;
    await next();
  }

  async function failed(ctx: Context, upstream: Upstream, failure: UpstreamFailure) {
    await record(ctx, upstream, failure.result);
    // The upstream's fault (unreachable, slow, errors) is worth a warning; the user's choices are not.
    const level = failure instanceof UpstreamUnavailable || failure instanceof UpstreamTimeout ? 'warn' : 'info';
    logger[level](
      { upstream: upstream.id, result: failure.result, reason: failure.message, cause: causeChain(failure.cause) },
      'upstream sign-in failed',
    );
    showSignIn(ctx, { error: failure.userMessage(upstream.name), status: failure.status });
  }

  router.get('/upstream/:upstream', requireUpstream, loadInteraction, requirePrompt('login'), async (ctx) => {
    const { upstream } = chosen(ctx);
    try {
      const location = await upstream.begin({ purpose: 'sign-in', uid: ctx.params.uid! });
      ctx.status = 303;
      ctx.redirect(location);
    } catch (error) {
      if (!(error instanceof UpstreamFailure)) throw error;
      await failed(ctx, upstream, error);
    }
  });

  router.get('/upstream/:upstream/return', requireUpstream, loadInteraction, requirePrompt('login'), async (ctx) => {
    const { upstream } = chosen(ctx);
    const { interaction } = state(ctx);
    const response = new URLSearchParams(ctx.querystring);
    try {
      // Taken (used up) before anything else, so that this answer can never be used again.
      const flow = await flows.take(response.get('state'));
      if (!flow || flow.purpose !== 'sign-in' || flow.uid !== interaction.uid || flow.upstream !== upstream.id) {
        throw new StateMismatch('no sign-in flow of this interaction has this state');
      }
      const refused = answerError(response);
      if (refused) throw refused;
      const profile = await upstream.complete(flow, response);
      const outcome = await social.resolve(upstream.id, profile, interaction.session?.accountId);
      if (outcome.kind === 'blocked') {
        await record(ctx, upstream, 'blocked', outcome.user);
        return showSignIn(ctx, { error: 'This account is blocked. Contact support.', status: 403 });
      }
      if (outcome.kind === 'link-required') {
        await record(ctx, upstream, 'link_required', outcome.user);
        await pending.save(interaction.uid, { userId: outcome.user.id, upstream: upstream.id, profile });
        ctx.status = 303;
        return ctx.redirect(linkPath(interaction.uid));
      }
      await record(ctx, upstream, 'success', outcome.user);
      logger.info(
        { sub: outcome.user.id, upstream: upstream.id, created: outcome.created, linked: outcome.linked },
        'signed in with an upstream',
      );
      await finish(ctx, { login: { accountId: outcome.user.id, amr: ['fed'], remember: true } }, false);
    } catch (error) {
      if (!(error instanceof UpstreamFailure)) throw error;
      await failed(ctx, upstream, error);
    }
  });

  async function requirePending(ctx: Context, next: Next) {
    const link = await pending.find(ctx.params.uid!);
    const upstream = upstreams.get(link?.upstream);
    const user = link ? await domain.users.findById(link.userId) : undefined;
    if (!link || !upstream || !user) {
      ctx.status = 303;
      ctx.redirect(interactionPaths(ctx.params.uid!).page);
      return;
    }
    Object.assign(ctx.state, { link, upstream, user });
    await next();
  }

  type LinkState = {
    link: NonNullable<Awaited<ReturnType<PendingLinkStore['find']>>>;
    upstream: Upstream;
    user: NonNullable<Awaited<ReturnType<Domain['users']['findById']>>>;
  };

  function showLink(ctx: Context, options: { error?: string; status?: number } = {}) {
    const { upstream, user } = ctx.state as LinkState;
    const uid = ctx.params.uid!;
    render(
      ctx,
      linkAccountPage({
        action: linkPath(uid),
        csrf: csrf.issue(ctx, uid),
        clientName: state(ctx).clientName,
        upstreamName: upstream.name,
        email: user.email,
        hasPassword: Boolean(user.password_hash),
        error: options.error,
        cancelUrl: interactionPaths(uid).page,
      }),
      options.status,
    );
  }

  router.get('/link', loadInteraction, requirePrompt('login'), requirePending, async (ctx) => showLink(ctx));

  router.post(
    '/link',
    parseForm,
    collectForm,
    loadInteraction,
    requireCsrf,
    requirePrompt('login'),
    requirePending,
    async (ctx) => {
      const { link, upstream, user } = ctx.state as LinkState;
      const password = state(ctx).form.password?.slice(0, 1000) ?? '';
      if (!password) return showLink(ctx, { error: 'Enter your password.', status: 400 });
      const verdict = await deps.checkPassword(user.email, password, {
        ip: ctx.ip,
        userAgent: ctx.get('user-agent') || null,
      });
      if (verdict.result === 'rate_limited') {
        ctx.set('Retry-After', String(verdict.retryAfterSeconds));
        return showLink(ctx, { error: tooManyFailures(verdict.retryAfterSeconds), status: 429 });
      }
      if (verdict.result === 'invalid_credentials' || verdict.user.id !== user.id) {
        return showLink(ctx, { error: 'Incorrect password.', status: 401 });
      }
      if (verdict.result === 'blocked') {
        return showLink(ctx, { error: 'This account is blocked. Contact support.', status: 403 });
      }
      await pending.remove(ctx.params.uid!);
      try {
        await social.link(upstream.id, link.profile, user.id);
      } catch (error) {
        if (!(error instanceof IdentityTaken)) throw error;
        // Linked meanwhile (another tab): fine if to this account, refused if to another.
        const identity = await deps.identities.find(upstream.id, link.profile.subject);
        if (identity?.user_id !== user.id) {
          return showSignIn(ctx, {
            error: `This ${upstream.name} account is already linked to another account.`,
            status: 409,
          });
        }
      }
      await record(ctx, upstream, 'success', user);
      logger.info({ sub: user.id, upstream: upstream.id }, 'linked an upstream identity after a password check');
      await finish(ctx, { login: { accountId: user.id, amr: ['pwd', 'fed'], remember: true } }, false);
    },
  );

  return router;
}

/**
 * The redirect URI registered at each upstream. The browser's interaction cookie is not sent here
 * (it is scoped to the interaction's path), so this only finds which flow the answer belongs to and
 * sends the browser on to that flow's own page, which checks and uses up the state.
 */
export function upstreamCallbackRoutes(deps: Pick<UpstreamRouteDeps, 'upstreams' | 'flows' | 'domain' | 'metrics'>) {
  const router = new Router({ prefix: '/interaction/upstream' });
  router.get('/:upstream/callback', async (ctx) => {
    const upstream = deps.upstreams.get(ctx.params.upstream);
    const flow = await deps.flows.peek(new URLSearchParams(ctx.querystring).get('state'));
    if (!upstream || !flow || flow.upstream !== upstream.id) {
      const failure = new StateMismatch('no flow has this state');
      if (upstream) {
        await deps.domain.signIns.record({
          userId: null,
          email: null,
          ipAddress: ctx.ip,
          userAgent: ctx.get('user-agent') || null,
          method: upstream.method,
          result: failure.result,
        });
        deps.metrics.signIns.inc({ method: upstream.method, result: failure.result });
      }
      render(
        ctx,
        pages.errorPage({
          title: 'This sign-in has expired',
          message: `${failure.userMessage(upstream?.name ?? 'The sign-in service')} Go back to the application and start signing in again.`,
          requestId: ctx.get('x-request-id') || undefined,
        }),
        failure.status,
      );
      return;
    }
    const target =
      flow.purpose === 'sign-in' ? returnPaths['sign-in'](flow.uid, upstream.id) : returnPaths.link(upstream.id);
    ctx.status = 303;
    ctx.redirect(`${target}?${ctx.querystring}`);
  });
  return router;
}
