import Router from '@koa/router';
import type { Logger } from '@usher/platform';
import type { Context } from 'koa';
import { RegistrationRejected, registerUser } from '../accounts/registration.ts';
import { EmailTaken } from '../accounts/user-store.ts';
import type { Domain } from '../domain.ts';
import type { ProviderHolder } from '../oidc/provider-holder.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { Csrf } from './csrf.ts';
import { createInteractionSteps, interactionPaths, render, text } from './interaction-steps.ts';
import { createPasswordCheck, tooManyFailures } from './password-check.ts';
import type { DeviceCookies } from '../security/device-cookie.ts';
import type { Throttle } from '../security/throttle.ts';
import * as pages from './views/pages.ts';
import type { UpstreamButton } from './views/pages.ts';

export interface InteractionDeps {
  holder: ProviderHolder;
  domain: Domain;
  csrf: Csrf;
  throttle: Throttle;
  /** Device cookies (OWASP): a browser that signed in before keeps its own failure budget. */
  devices: DeviceCookies;
  metrics: Metrics;
  logger: Logger;
  /** The "Sign in with ..." buttons (upstream identity providers) of interaction `uid`. */
  upstreamButtons?: (uid: string) => UpstreamButton[];
}

const badCredentials = 'Incorrect email or password.';

/** The sign-in, registration and consent pages that oidc-provider sends users to. */
export function interactionRoutes(deps: InteractionDeps): Router {
  const { holder, domain, csrf, throttle, devices, metrics, logger } = deps;
  const router = new Router({ prefix: '/interaction/:uid' });
  const steps = createInteractionSteps({ holder, csrf, upstreamButtons: deps.upstreamButtons ?? (() => []) });
  const { state, loadInteraction, parseForm, collectForm, requireCsrf, requirePrompt, finish, showSignIn } = steps;
  const paths = interactionPaths;
  const checkPassword = createPasswordCheck({ domain, throttle, metrics });

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
    if (!email || !password) {
      return showSignIn(ctx, { email, error: 'Enter your email and password.', status: 400 });
    }
    const verdict = await checkPassword(email, password, {
      ip: ctx.ip,
      userAgent: ctx.get('user-agent') || null,
      device: (accountId) => devices.read(ctx, accountId),
    });
    if (verdict.result === 'rate_limited') {
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      return showSignIn(ctx, { email, error: tooManyFailures(verdict.retryAfterSeconds), status: 429 });
    }
    if (verdict.result === 'invalid_credentials') {
      return showSignIn(ctx, { email, error: badCredentials, status: 401 });
    }
    if (verdict.result === 'blocked') {
      return showSignIn(ctx, { email, error: 'This account is blocked. Contact support.', status: 403 });
    }
    logger.info({ sub: verdict.user.id }, 'signed in with password');
    if (throttle.deviceBudgets) devices.issue(ctx, verdict.user.id);
    await finish(ctx, { login: { accountId: verdict.user.id, amr: ['pwd'], remember: true } }, false);
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
        if (throttle.deviceBudgets) devices.issue(ctx, user.id);
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

  // A POST with the CSRF token: a cross-site link or form cannot cancel someone's sign-in.
  router.post('/abort', parseForm, collectForm, loadInteraction, requireCsrf, async (ctx) => {
    await finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the sign-in' }, false);
  });

  return router;
}
