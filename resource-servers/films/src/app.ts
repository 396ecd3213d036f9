import { mkdir } from 'node:fs/promises';
import type { Database, KeyValueStore, Logger } from '@usher/platform';
import { authenticate, ProviderKeys, RevocationList, SecurityEventReceiver, TokenVerifier } from '@usher/kit';
import express, { type Express } from 'express';
import { createCatalogue, type Catalogue } from './catalogue/catalogue.ts';
import { createCatalogueVersion, type CatalogueVersion } from './catalogue/catalogue-version.ts';
import type { FilmsConfig } from './config.ts';
import { apiDocsRoutes } from './http/api-docs.ts';
import { catalogueRouters } from './http/catalogue-routes.ts';
import { problemResponses, requestLogging, securityHeaders, unknownRoute } from './http/http-middleware.ts';
import { createResponseCache } from './http/response-cache.ts';
import { userContentRouter } from './http/ugc-routes.ts';
import { healthRoutes } from './ops/health-routes.ts';
import { createMetrics, type Metrics } from './ops/metrics.ts';
import { createUserContent } from './ugc/user-content.ts';

export interface AppDeps {
  db: Database;
  store: KeyValueStore;
  logger: Logger;
  /** Tests pass keys with short timeouts; by default they come from the config. */
  keys?: ProviderKeys;
  /** How bearer tokens are checked; by default the kit's TokenVerifier (the bench compares others). */
  verifier?: Pick<TokenVerifier, 'verify'>;
}

export interface FilmsApp {
  app: Express;
  catalogue: Catalogue;
  version: CatalogueVersion;
  metrics: Metrics;
  keys: ProviderKeys;
  close(): Promise<void>;
}

/**
 * Started together with the provider, films may find it not listening yet; the kit then waits for
 * its refresh cooldown before asking again, and tokens meanwhile are served as degraded. Ask once a
 * second for the first half minute; after that the kit's own refreshes take over.
 */
function keepFetchingUntilReachable(keys: ProviderKeys): NodeJS.Timeout | null {
  if (keys.status.reachable) return null;
  let attempts = 0;
  const timer = setInterval(() => {
    attempts += 1;
    if (keys.status.reachable || attempts > 30) clearInterval(timer);
    else keys.refresh().catch(() => {});
  }, 1000);
  timer.unref();
  return timer;
}

/**
 * With client credentials, films follows the provider's revocation feed: events are kept on disk
 * (a restart remembers them) and the first poll runs in the background, so a provider that is down
 * at start does not hold films up.
 */
async function followRevocations(config: FilmsConfig, keys: ProviderKeys, store: KeyValueStore, logger: Logger) {
  if (!config.FILMS_CLIENT_ID || !config.FILMS_CLIENT_SECRET) {
    logger.warn('FILMS_CLIENT_ID and FILMS_CLIENT_SECRET are not set: revoked tokens are honoured until they expire');
    return null;
  }
  const list = new RevocationList({ file: config.revocationsFile });
  await list.load();
  const receiver = new SecurityEventReceiver({
    issuer: config.issuer,
    keys,
    list,
    clientId: config.FILMS_CLIENT_ID,
    clientSecret: config.FILMS_CLIENT_SECRET,
    pollIntervalMs: config.FILMS_EVENTS_POLL_MS,
    store,
    logger,
  });
  receiver.start().catch((error: Error) => logger.warn({ reason: error.message }, 'revocation feed not followed'));
  return { list, receiver };
}

/** Builds the films HTTP app (not listening): tests start it on port 0. */
export async function buildApp(config: FilmsConfig, deps: AppDeps): Promise<FilmsApp> {
  const { db, store, logger } = deps;
  const metrics = createMetrics();
  let keys = deps.keys;
  const ownKeys = !keys;
  if (!keys) {
    await mkdir(config.keysCacheDir, { recursive: true });
    keys = new ProviderKeys({
      issuer: config.issuer,
      providerUrl: config.providerUrl,
      cacheDir: config.keysCacheDir,
      logger,
    });
    await keys.start();
  }
  const warmUp = ownKeys ? keepFetchingUntilReachable(keys) : null;
  const revocations = await followRevocations(config, keys, store, logger);
  const verifier =
    deps.verifier ??
    new TokenVerifier({
      issuer: config.issuer,
      audience: config.resource,
      keys,
      logger,
      ...(revocations ? { revocations: revocations.list } : {}),
    });
  const catalogue = createCatalogue(db.knex);
  const version = createCatalogueVersion({ knex: db.knex, store, logger });
  await version.start();
  const cache = createResponseCache({ store, version, ttlSeconds: config.FILMS_CACHE_TTL, metrics, logger });

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple'); // `page[size]` stays one flat name
  app.use(requestLogging(logger, metrics));
  app.use(securityHeaders);
  app.use(express.json({ limit: '100kb' }));
  app.use(healthRoutes(db, store, metrics));
  app.use(apiDocsRoutes());
  app.use('/api', authenticate(verifier, { logger, registry: metrics.registry }));
  app.use(catalogueRouters(catalogue, cache));
  app.use(userContentRouter(createUserContent(db.knex)));
  app.use(unknownRoute);
  app.use(problemResponses(logger));

  return {
    app,
    catalogue,
    version,
    metrics,
    keys,
    async close() {
      if (warmUp) clearInterval(warmUp);
      await revocations?.receiver.stop();
      await revocations?.list.flush();
      if (ownKeys) keys.stop();
      await version.stop();
    },
  };
}
