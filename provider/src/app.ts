import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import Koa, { type Context, type Middleware, type Next } from 'koa';
import type { Database, KeyValueStore, Logger } from '@usher/platform';
import type { ProviderConfig } from './config.ts';
import { createDomain, signingAlgorithms, type Domain } from './domain.ts';
import { createCsrf } from './interactions/csrf.ts';
import { interactionRoutes } from './interactions/routes.ts';
import { stylesheetPath } from './interactions/views/layout.ts';
import { createAdapterFactory, inProtocolTransaction, purgeExpiredPayloads } from './oidc/adapter.ts';
import { createOidcProvider, type OidcDeps } from './oidc/provider-factory.ts';
import { createProviderHolder, type ProviderHolder } from './oidc/provider-holder.ts';
import { healthRoutes } from './ops/health-routes.ts';
import { createFrontDoor, type RequestHandler } from './ops/front-door.ts';
import { callerAddress } from './ops/caller-address.ts';
import { createCookieSigner } from './security/cookie-signer.ts';
import { guardClientEndpoints, isClientEndpoint } from './security/client-endpoints.ts';
import { createDeviceCookies } from './security/device-cookie.ts';
import { pinToIssuerOrigin } from './security/issuer-origin.ts';
import { createThrottle, type Throttle } from './security/throttle.ts';
import { problemResponses } from './ops/problem-responses.ts';
import { createMetrics, type Metrics } from './ops/metrics.ts';
import { createSecurityEventFeed, type SecurityEventFeed } from './security-events/feed.ts';
import { eventTypes } from './security-events/event-types.ts';
import { createRevocationCheck } from './security-events/revocation-check.ts';
import { jwtAccessTokenIntrospector } from './security-events/jwt-introspection.ts';
import { createOpaqueRevocations } from './security-events/opaque-revocation.ts';
import { jwtAccessTokenRevoker } from './security-events/jwt-revocation.ts';
import { securityEventRoutes } from './security-events/poll-routes.ts';
import { createSocialSignIn } from './upstreams/social-sign-in.ts';
import { adminApi, isAdminApiPath } from './admin/admin-api.ts';

export interface AppDeps {
  db: Database;
  store: KeyValueStore;
  logger: Logger;
}

export interface UsherProvider {
  /** The HTTP request handler (the front door); give it to http.createServer. */
  handler: RequestHandler;
  app: Koa;
  domain: Domain;
  holder: ProviderHolder;
  metrics: Metrics;
  throttle: Throttle;
  feed: SecurityEventFeed;
  close(): Promise<void>;
}

/** Cookie signing secrets: configured, or generated once and shared by every instance via the database. */
async function cookieSecrets(config: ProviderConfig, domain: Domain): Promise<string[]> {
  if (config.COOKIE_SECRETS?.length) return config.COOKIE_SECRETS;
  await domain
    .knex('settings')
    .insert({ key: 'cookie_secret', value: domain.box.seal(randomBytes(32).toString('base64url')) })
    .onConflict('key')
    .ignore();
  const row = (await domain.knex('settings').where({ key: 'cookie_secret' }).first()) as { value: string };
  return [domain.box.open(row.value)];
}

/**
 * oidc-provider 9 answers 500 when the device code form is posted without a session cookie (its
 * session middleware tries to persist a session that was never saved). Such a post can only come
 * from a stale or forged form, so send the browser to the code entry page, which starts a session.
 */
async function deviceFormNeedsSession(ctx: Context, next: Next) {
  const isDeviceForm = ctx.method === 'POST' && /^\/device\/?$/.test(ctx.path);
  if (isDeviceForm && !ctx.cookies.get('_session', { signed: true })) {
    ctx.status = 303;
    ctx.redirect('/device');
    return;
  }
  return next();
}

/** Builds the provider's HTTP app (not listening): tests start it on port 0. */
export async function buildApp(config: ProviderConfig, deps: AppDeps): Promise<UsherProvider> {
  const { db, store, logger } = deps;
  const domain = createDomain(config, db.knex);
  const metrics = createMetrics();
  const throttle = createThrottle(config, store);
  await domain.keys.ensure(signingAlgorithms(config));
  const secrets = await cookieSecrets(config, domain);
  const adapter = createAdapterFactory({ knex: db.knex, store, clients: domain.clients });
  const feed = createSecurityEventFeed({
    knex: db.knex,
    issuer: config.issuer,
    algorithm: config.ACCESS_TOKEN_ALG,
    events: domain.events,
    keys: domain.keys,
    store,
    logger,
  });
  const opaqueRevocations = createOpaqueRevocations({ knex: db.knex, feed });
  // Filled once the holder exists: the revoker verifies with the keys the provider currently publishes.
  let revokeJwt: (clientId: string, token: string) => Promise<boolean> = async () => false;
  let introspectJwt: ReturnType<typeof jwtAccessTokenIntrospector> = async () => ({ active: false });
  // A sign-out's session deletion (through the adapter) and its revocation event share one transaction.
  const inSessionEnd: OidcDeps['inSessionEnd'] = (work) =>
    feed.withEvents((trx, emit) =>
      inProtocolTransaction(trx, () =>
        work((accountId, sessionId) => emit({ type: eventTypes.sessionRevoked, subject: accountId, sessionId })),
      ),
    );
  const holder = await createProviderHolder({
    keyStore: domain.keys,
    store,
    pollMs: config.KEY_POLL_INTERVAL_MS,
    logger,
    build: (keys) =>
      createOidcProvider({
        config,
        keys,
        cookieSecrets: secrets,
        adapter,
        users: domain.users,
        access: domain.access,
        resources: domain.resources,
        logger,
        metrics,
        inSessionEnd,
        onJwtRevocation: (clientId, token) => revokeJwt(clientId, token),
        onJwtIntrospection: (client, token) => introspectJwt(client, token),
        onOpaqueRevocation: (token) => opaqueRevocations.record(token),
      }),
  });
  revokeJwt = jwtAccessTokenRevoker({ issuer: config.issuer, keys: () => holder.keys, feed });
  introspectJwt = jwtAccessTokenIntrospector({
    issuer: config.issuer,
    keys: () => holder.keys,
    isRevoked: createRevocationCheck(db.knex),
  });
  const https = config.issuer.startsWith('https:');
  const csrf = createCsrf(secrets[0]!, https);
  const stylesheet = await readFile(new URL('./interactions/views/usher.css', import.meta.url), 'utf8');

  const app = new Koa({ proxy: config.TRUST_PROXY });
  pinToIssuerOrigin(app, config.issuer);
  // Keygrip's interface, signing as Keygrip does; Koa's types only know arrays of secrets.
  app.keys = createCookieSigner(secrets) as unknown as string[];
  app.on('error', () => {}); // logged by problemResponses or oidc-provider's own events
  const social = createSocialSignIn({ config, store, domain, holder, csrf, throttle, metrics, logger });
  const interactions = interactionRoutes({
    holder,
    domain,
    csrf,
    throttle,
    devices: createDeviceCookies(https),
    metrics,
    logger,
    upstreamButtons: social.buttons,
  });
  const health = healthRoutes(db, store, metrics, config.METRICS_TOKEN);
  const securityEvents = securityEventRoutes({
    events: domain.events,
    feed,
    clients: domain.clients,
    access: domain.access,
  });
  const api = adminApi({ config, domain, feed, holder, throttle, store, logger });

  const callbacks = new WeakMap<object, ReturnType<Koa['callback']>>();
  // The protocol: the current oidc-provider instance (it changes when keys rotate).
  const provider: RequestHandler = (req, res) => {
    const current = holder.current;
    let handle = callbacks.get(current);
    if (!handle) {
      pinToIssuerOrigin(current, config.issuer);
      handle = current.callback();
      callbacks.set(current, handle);
    }
    return handle(req, res);
  };
  const handOff = async (ctx: Context) => {
    ctx.respond = false;
    await provider(ctx.req, ctx.res);
  };
  const stylesheetRoute = async (ctx: Context) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = stylesheet;
  };
  // Router middleware is typed for router contexts; at run time it is plain Koa middleware.
  const asKoa = (middleware: unknown) => middleware as Middleware;
  const [pageRoutes, pageMethods] = [asKoa(interactions.routes()), asKoa(interactions.allowedMethods())];
  const pages = (ctx: Context, next: Next) =>
    social.interactionPages(ctx, () => pageRoutes(ctx, () => pageMethods(ctx, next)));
  const operations = asKoa(health.routes());
  const feedRoutes = asKoa(securityEvents.routes());
  const operationPaths = new Set(['/healthz', '/readyz', '/metrics']);
  const isDeviceForm = (method: string, path: string) => method === 'POST' && /^\/device\/?$/.test(path);

  app.use(callerAddress(config.TRUST_PROXY));
  app.use(problemResponses(logger));
  app.use((ctx, next) => {
    const { path } = ctx;
    if (path.startsWith('/interaction/')) return pages(ctx, next);
    if (path.startsWith('/account/')) return social.accountPages(ctx, next);
    if (operationPaths.has(path)) return operations(ctx, next);
    if (path === stylesheetPath) return stylesheetRoute(ctx);
    if (path.startsWith('/secevents/')) return feedRoutes(ctx, next);
    if (isAdminApiPath(path)) return api.handle(ctx);
    return deviceFormNeedsSession(ctx, () => handOff(ctx));
  });

  const clientEndpoints = guardClientEndpoints({
    throttle,
    trustProxy: config.TRUST_PROXY,
    logger,
    protocol: provider,
  });
  const handler = createFrontDoor({
    logger,
    metrics,
    https,
    ours: app.callback(),
    protocol: (req, res) => (isClientEndpoint(req) ? clientEndpoints(req, res) : provider(req, res)),
    // Our pages, operations and feed, and the device form (whose session we check first).
    isOurs: (method, path) =>
      path.startsWith('/interaction/') ||
      path.startsWith('/account/') ||
      operationPaths.has(path) ||
      path === stylesheetPath ||
      path.startsWith('/secevents/') ||
      isAdminApiPath(path) ||
      isDeviceForm(method, path),
  });

  const purge = setInterval(() => {
    purgeExpiredPayloads(db.knex).catch((error: unknown) =>
      logger.warn({ err: error }, 'purge of expired protocol state failed'),
    );
  }, 10 * 60_000);
  purge.unref();

  return {
    handler,
    app,
    domain,
    holder,
    metrics,
    throttle,
    feed,
    async close() {
      clearInterval(purge);
      await holder.stop();
    },
  };
}
