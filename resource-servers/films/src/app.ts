import { createServiceApp, startTokenChecks, type Operation, type ProviderKeys, type TokenVerifier } from '@usher/kit';
import type { Database, KeyValueStore, Logger } from '@usher/platform';
import type { Express } from 'express';
import { createCatalogue, type Catalogue } from './catalogue/catalogue.ts';
import { createCatalogueVersion, type CatalogueVersion } from './catalogue/catalogue-version.ts';
import type { FilmsConfig } from './config.ts';
import { apiDocsRoutes } from './http/api-docs.ts';
import { catalogueRoutes } from './http/catalogue-routes.ts';
import { filmsErrors } from './http/films-errors.ts';
import { createResponseCache } from './http/response-cache.ts';
import { userContentRoutes } from './http/ugc-routes.ts';
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
  /** Every operation served, for the test that holds them against the OpenAPI document. */
  operations: readonly Operation[];
  catalogue: Catalogue;
  version: CatalogueVersion;
  metrics: Metrics;
  keys: ProviderKeys;
  close(): Promise<void>;
}

/** Builds the films HTTP app (not listening): tests start it on port 0. */
export async function buildApp(config: FilmsConfig, deps: AppDeps): Promise<FilmsApp> {
  const { db, store, logger } = deps;
  const metrics = createMetrics();
  const tokens = await startTokenChecks(config, { store, logger, ...(deps.keys ? { keys: deps.keys } : {}) });
  const catalogue = createCatalogue(db.knex);
  const version = createCatalogueVersion({ knex: db.knex, store, logger });
  await version.start();
  const cache = createResponseCache({ store, version, ttlSeconds: config.FILMS_CACHE_TTL, metrics, logger });

  const { app, operations } = createServiceApp({
    logger,
    metrics,
    renderer: filmsErrors,
    readiness: { database: db, store },
    metricsToken: config.metricsToken,
    auth: { verifier: deps.verifier ?? tokens.verifier, path: '/api' },
    routes(routes) {
      apiDocsRoutes(routes);
      catalogueRoutes(routes, catalogue, cache);
      userContentRoutes(routes, createUserContent(db.knex));
    },
  });

  return {
    app,
    operations,
    catalogue,
    version,
    metrics,
    keys: tokens.keys,
    async close() {
      await tokens.stop();
      await version.stop();
    },
  };
}
