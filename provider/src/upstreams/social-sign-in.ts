import type { KeyValueStore, Logger } from '@usher/platform';
import type { Context, Middleware, Next } from 'koa';
import type { ProviderConfig } from '../config.ts';
import type { Domain } from '../domain.ts';
import type { Csrf } from '../interactions/csrf.ts';
import { createInteractionSteps } from '../interactions/interaction-steps.ts';
import { createPasswordCheck } from '../interactions/password-check.ts';
import type { Throttle } from '../security/throttle.ts';
import type { UpstreamButton } from '../interactions/views/pages.ts';
import type { ProviderHolder } from '../oidc/provider-holder.ts';
import type { Metrics } from '../ops/metrics.ts';
import { accountRoutes } from './account-routes.ts';
import { createPendingLinkStore } from './pending-link-store.ts';
import { createSocialAccounts } from './social-accounts.ts';
import { createFlowStore } from './upstream-flow-store.ts';
import { createUpstreamRegistry } from './upstream-registry.ts';
import { upstreamCallbackRoutes, upstreamInteractionRoutes } from './upstream-routes.ts';

export interface SocialSignInDeps {
  config: ProviderConfig;
  store: KeyValueStore;
  domain: Domain;
  holder: ProviderHolder;
  csrf: Csrf;
  throttle: Throttle;
  metrics: Metrics;
  logger: Logger;
}

/** Router middleware is typed for router contexts; at run time it is plain Koa middleware. */
const asKoa = (middleware: unknown) => middleware as Middleware;

/** Social sign-in (Google and generic OpenID Connect upstreams), wired for the provider's Koa app. */
export function createSocialSignIn(deps: SocialSignInDeps) {
  const { config, store, domain, holder, csrf, throttle, metrics, logger } = deps;
  const flows = createFlowStore(store);
  const upstreams = createUpstreamRegistry(config, flows, logger);
  const social = createSocialAccounts(domain, domain.identities);
  const buttons = (uid: string): UpstreamButton[] =>
    upstreams.list().map((upstream) => ({ name: upstream.name, url: `/interaction/${uid}/upstream/${upstream.id}` }));
  const routeDeps = {
    steps: createInteractionSteps({ holder, csrf, upstreamButtons: buttons }),
    csrf,
    domain,
    upstreams,
    flows,
    social,
    identities: domain.identities,
    pending: createPendingLinkStore(store),
    checkPassword: createPasswordCheck({ domain, throttle, metrics }),
    metrics,
    logger,
  };
  const callback = asKoa(upstreamCallbackRoutes(routeDeps).routes());
  const interaction = asKoa(upstreamInteractionRoutes(routeDeps).routes());
  const account = asKoa(
    accountRoutes({ holder, csrf, domain, upstreams, flows, social, identities: domain.identities, logger }).routes(),
  );

  return {
    upstreams,
    /** The sign-in page's "Sign in with ..." buttons of interaction `uid`. */
    buttons,
    /** Under /interaction/: the upstream callbacks and the interaction's upstream pages; the rest passes on. */
    interactionPages: (ctx: Context, next: Next) => callback(ctx, () => interaction(ctx, next)),
    /** Under /account/: the signed-in user's ways to sign in. */
    accountPages: (ctx: Context, next: Next) => account(ctx, next),
  };
}

export type SocialSignIn = ReturnType<typeof createSocialSignIn>;
