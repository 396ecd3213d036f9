import { setTimeout as sleep } from 'node:timers/promises';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Logger } from '@usher/platform';
import type { Context, Next } from 'koa';
import type { InteractionResults } from '../oidc/protocol-types.ts';
import { verifyPassword } from '../accounts/password-hasher.ts';
import { RegistrationRejected, registerUser } from '../accounts/registration.ts';
import { EmailTaken } from '../accounts/user-store.ts';
import type { Domain } from '../domain.ts';
import type { ProviderHolder } from '../oidc/provider-holder.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { Csrf } from './csrf.ts';
import type { Throttle } from './throttle.ts';
import * as pages from './views/pages.ts';

type Details = Awaited<ReturnType<ProviderHolder['current']['interactionDetails']>>;

interface State {
  interaction: Details;
  clientName: string;
  firstParty: boolean;
  form: Record<string, string>;
}

export interface InteractionDeps {
  holder: ProviderHolder;
  domain: Domain;
  csrf: Csrf;
  throttle: Throttle;
  metrics: Metrics;
  logger: Logger;
}

const badCredentials = 'Incorrect email or password.';
const pageHeaders = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
};

function render(ctx: Context, body: string, status = 200) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set(pageHeaders);
  ctx.body = body;
}

const text = (value: unknown, max = 1000) => (typeof value === 'string' ? value.slice(0, max) : '');

/** The sign-in, registration and consent pages that oidc-provider sends users to. */
export function interactionRoutes(deps: InteractionDeps): Router {
  const { holder, domain, csrf, throttle, metrics, logger } = deps;
  const router = new Router({ prefix: '/interaction/:uid' });
  const state = (ctx: Context) => ctx.state as State;
  const paths = (uid: string) => ({
    login: `/interaction/${uid}/login`,
    register: `/interaction/${uid}/register`,
    confirm: `/interaction/${uid}/confirm`,
    abort: `/interaction/${uid}/abort`,
    page: `/interaction/${uid}`,
  });

  async function loadInteraction(ctx: Context, next: Next) {
    try {
      const interaction = await holder.current.interactionDetails(ctx.req, ctx.res);
      if (interaction.uid !== ctx.params.uid) throw new Error('interaction mismatch');
      const client = await holder.current.Client.find(String(interaction.params.client_id));
      Object.assign(state(ctx), {
        interaction,
        clientName: (client?.clientName as string | undefined) ?? String(interaction.params.client_id),
        firstParty: client?.['first_party'] === true,
      });
    } catch {
      render(
        ctx,
        pages.errorPage({
          title: 'This sign-in has expired',
          message: 'Go back to the application and start signing in again.',
          requestId: ctx.get('x-request-id') || undefined,
        }),
        400,
      );
      return;
    }
    await next();
  }

  const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '16kb', onError: () => {} });

  async function collectForm(ctx: Context, next: Next) {
    const body = (ctx.request as { body?: unknown }).body;
    state(ctx).form = {};
    if (body && typeof body === 'object') {
      for (const [key, value] of Object.entries(body as Record<string, unknown>)) state(ctx).form[key] = text(value);
    }
    await next();
  }

  async function requireCsrf(ctx: Context, next: Next) {
    if (!csrf.verify(ctx, ctx.params.uid!, state(ctx).form.csrf)) {
      render(
        ctx,
        pages.errorPage({
          title: 'Form expired',
          message:
            'This form was not submitted from this sign-in page, or it expired. Go back, reload the page and try again.',
        }),
        403,
      );
      return;
    }
    await next();
  }

  function requirePrompt(name: string) {
    return async (ctx: Context, next: Next) => {
      if (state(ctx).interaction.prompt.name !== name) {
        ctx.status = 303;
        ctx.redirect(paths(ctx.params.uid!).page);
        return;
      }
      await next();
    };
  }

  async function finish(ctx: Context, result: InteractionResults, merge: boolean) {
    const redirectTo = await holder.current.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: merge,
    });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  function showSignIn(ctx: Context, options: { email?: string; error?: string; status?: number } = {}) {
    const uid = ctx.params.uid!;
    const p = paths(uid);
    render(
      ctx,
      pages.signInPage({
        action: p.login,
        csrf: csrf.issue(ctx, uid),
        clientName: state(ctx).clientName,
        ...(options.email ? { email: options.email } : {}),
        error: options.error,
        registerUrl: p.register,
        abortUrl: p.abort,
        upstreams: [],
      }),
      options.status,
    );
  }

  async function grantConsent(ctx: Context) {
    const { interaction } = state(ctx);
    const provider = holder.current;
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({
          accountId: interaction.session!.accountId,
          clientId: String(interaction.params.client_id),
        });
    if (!grant) throw new Error('grant not found');
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await finish(ctx, { consent: interaction.grantId ? {} : { grantId } }, true);
  }

  function showConsent(ctx: Context) {
    const { interaction } = state(ctx);
    const uid = ctx.params.uid!;
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    render(
      ctx,
      pages.consentPage({
        action: paths(uid).confirm,
        csrf: csrf.issue(ctx, uid),
        clientName: state(ctx).clientName,
        scopes: details.missingOIDCScope ?? [],
        claims: details.missingOIDCClaims ?? [],
        resources: Object.keys(details.missingResourceScopes ?? {}),
        abortUrl: paths(uid).abort,
      }),
    );
  }

  router.get('/', loadInteraction, async (ctx) => {
    const { interaction, firstParty } = state(ctx);
    if (interaction.prompt.name === 'login')
      return showSignIn(ctx, { email: text(interaction.params.login_hint, 320) });
    if (interaction.prompt.name === 'consent') return firstParty ? grantConsent(ctx) : showConsent(ctx);
    render(ctx, pages.errorPage({ message: 'This step of signing in is not supported.' }), 400);
  });

  router.post('/login', parseForm, collectForm, loadInteraction, requireCsrf, requirePrompt('login'), async (ctx) => {
    const { form } = state(ctx);
    const email = form.email?.trim().slice(0, 320) ?? '';
    const password = form.password?.slice(0, 1000) ?? '';
    const attempt = { email, ipAddress: ctx.ip, userAgent: ctx.get('user-agent') || null, method: 'password' as const };
    if (!email || !password) {
      return showSignIn(ctx, { email, error: 'Enter your email and password.', status: 400 });
    }
    const verdict = await throttle.beforeSignIn(email, ctx.ip);
    if (!verdict.allowed) {
      await domain.signIns.record({ ...attempt, userId: null, result: 'rate_limited' });
      metrics.signIns.inc({ method: 'password', result: 'rate_limited' });
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      const minutes = Math.max(1, Math.ceil(verdict.retryAfterSeconds / 60));
      return showSignIn(ctx, {
        email,
        error: `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        status: 429,
      });
    }
    if (verdict.delayMs) await sleep(verdict.delayMs);
    const user = await domain.users.findByEmail(email);
    const valid = await verifyPassword(user?.password_hash, password);
    const result = !valid ? 'invalid_credentials' : user?.blocked_at ? 'blocked' : 'success';
    await domain.signIns.record({ ...attempt, userId: user?.id ?? null, result });
    metrics.signIns.inc({ method: 'password', result });
    if (result === 'invalid_credentials') {
      await throttle.signInFailed(email, ctx.ip);
      return showSignIn(ctx, { email, error: badCredentials, status: 401 });
    }
    if (result === 'blocked') {
      return showSignIn(ctx, { email, error: 'This account is blocked. Contact support.', status: 403 });
    }
    await throttle.signInSucceeded(email);
    logger.info({ sub: user!.id }, 'signed in with password');
    await finish(ctx, { login: { accountId: user!.id, amr: ['pwd'], remember: true } }, false);
  });

  function showRegister(
    ctx: Context,
    options: { values?: Record<string, string>; errors?: Record<string, string>; error?: string; status?: number } = {},
  ) {
    const uid = ctx.params.uid!;
    const values = options.values ?? {};
    render(
      ctx,
      pages.registerPage({
        action: paths(uid).register,
        csrf: csrf.issue(ctx, uid),
        clientName: state(ctx).clientName,
        values: { email: values.email ?? '', first_name: values.first_name ?? '', last_name: values.last_name ?? '' },
        errors: options.errors ?? {},
        error: options.error,
        signInUrl: paths(uid).page,
      }),
      options.status,
    );
  }

  router.get('/register', loadInteraction, requirePrompt('login'), async (ctx) => showRegister(ctx));

  router.post(
    '/register',
    parseForm,
    collectForm,
    loadInteraction,
    requireCsrf,
    requirePrompt('login'),
    async (ctx) => {
      const { form } = state(ctx);
      const values = {
        email: form.email?.trim() ?? '',
        first_name: form.first_name ?? '',
        last_name: form.last_name ?? '',
      };
      const verdict = await throttle.registration(ctx.ip);
      if (!verdict.allowed) {
        ctx.set('Retry-After', String(verdict.retryAfterSeconds));
        return showRegister(ctx, {
          values,
          error: 'Too many accounts were created from your network. Try again later.',
          status: 429,
        });
      }
      try {
        const user = await registerUser(
          domain,
          {
            email: values.email,
            password: form.password ?? '',
            firstName: values.first_name,
            lastName: values.last_name,
          },
          null,
        );
        await domain.signIns.record({
          userId: user.id,
          email: user.email,
          ipAddress: ctx.ip,
          userAgent: ctx.get('user-agent') || null,
          method: 'password',
          result: 'success',
        });
        metrics.signIns.inc({ method: 'password', result: 'success' });
        await finish(ctx, { login: { accountId: user.id, amr: ['pwd'], remember: true } }, false);
      } catch (error) {
        if (error instanceof RegistrationRejected)
          return showRegister(ctx, { values, errors: error.fields, status: 400 });
        if (error instanceof EmailTaken) {
          return showRegister(ctx, {
            values,
            errors: { email: 'An account with this email already exists. Sign in instead.' },
            status: 409,
          });
        }
        throw error;
      }
    },
  );

  router.post('/confirm', parseForm, collectForm, loadInteraction, requireCsrf, requirePrompt('consent'), grantConsent);

  router.get('/abort', loadInteraction, async (ctx) => {
    await finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the sign-in' }, false);
  });

  return router;
}
