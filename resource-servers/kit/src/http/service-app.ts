import { securityHeaders, type Logger, type ServiceMetrics } from '@usher/platform';
import express, { type Express, type RequestHandler } from 'express';
import type { TokenVerifier } from '../token-verifier.ts';
import { problemRenderer, useErrorRenderer, type ErrorRenderer } from './error-answers.ts';
import { errorResponses } from './error-responses.ts';
import { authenticate } from './express-auth.ts';
import { opsRoutes, type Readiness } from './ops-routes.ts';
import { requestLog } from './request-log.ts';
import { RouteTable, type Operation } from './route-table.ts';

export interface ServiceAppOptions {
  logger: Logger;
  /** The service's registry (platform's createServiceMetrics): request durations, token checks, /metrics. */
  metrics: ServiceMetrics;
  /** How the service writes errors; default the kit's problem+json. */
  renderer?: ErrorRenderer;
  /** What /readyz checks. */
  readiness?: Readiness;
  /** The bearer token /metrics asks for (METRICS_TOKEN); unset, callers on this host only. */
  metricsToken?: string | undefined;
  /** Bearer tokens checked (req.auth) on every request under `path` (default: every path but the ops routes). */
  auth?: { verifier: Pick<TokenVerifier, 'verify'>; path?: string; degradedLogIntervalMs?: number };
  /** Largest JSON body accepted (default 100 kB); a larger one is the `body-too-large` failure. */
  bodyLimit?: string | number;
  /** Registers the service's routes. */
  routes(routes: RouteTable): void;
}

export interface ServiceApp {
  app: Express;
  /** Every operation served (the ops routes included), for a test against the OpenAPI document. */
  operations: readonly Operation[];
}

const sendSecurityHeaders: RequestHandler = (_req, res, next) => {
  for (const [name, value] of securityHeaders) res.setHeader(name, value);
  next();
};

/**
 * A resource server's Express app, in the order every service needs: request id and the request log
 * line, security headers, the JSON body, /healthz, /readyz and /metrics, the token check, the
 * service's routes, 404 and 405, and errors through the service's renderer. Not listening: tests
 * start it on port 0, `runService` in production.
 */
export function createServiceApp(options: ServiceAppOptions): ServiceApp {
  const { logger, metrics } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple'); // `page[size]` stays one flat name
  useErrorRenderer(app, options.renderer ?? problemRenderer);
  app.use(requestLog(logger, metrics));
  app.use(sendSecurityHeaders);
  app.use(express.json({ limit: options.bodyLimit ?? '100kb' }));

  const routes = new RouteTable();
  opsRoutes(routes, {
    readiness: options.readiness ?? {},
    registry: metrics.registry,
    metricsToken: options.metricsToken,
  });
  if (options.auth) {
    const { verifier, path = '/', degradedLogIntervalMs } = options.auth;
    routes.router.use(
      path,
      authenticate(verifier, {
        logger,
        registry: metrics.registry,
        ...(degradedLogIntervalMs !== undefined ? { degradedLogIntervalMs } : {}),
      }),
    );
  }
  options.routes(routes);

  app.use(routes.router);
  app.use(routes.unmatched());
  app.use(errorResponses(logger));
  return { app, operations: routes.operations };
}
