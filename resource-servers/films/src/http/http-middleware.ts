import {
  acceptRequestId,
  NotFound,
  problemContentType,
  runWithRequestId,
  toProblem,
  HttpProblem,
  type Logger,
} from '@usher/platform';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Metrics } from '../ops/metrics.ts';
import { canonicalPath } from './response-cache.ts';

declare module 'express-serve-static-core' {
  interface Request {
    log?: Logger;
  }
}

/**
 * The duration metric's route label: the matched route's template under its canonical mount path
 * (`/api/v1/films/{film_id}`). Never the raw path: every new label is a new series kept in memory
 * for good, so ids and made-up paths must not mint them. Paths no route matched share one label.
 */
function routeLabel(req: Request, path: string): string {
  const template = (req.route as { path?: string | string[] } | undefined)?.path;
  if (template === undefined) return 'unmatched';
  const own = (Array.isArray(template) ? template[0] : template) ?? '';
  const segments = canonicalPath(path).split('/').filter(Boolean);
  // The route's own segments are the last ones of the path; what precedes them is where it is mounted.
  const mount = segments.slice(0, segments.length - own.split('/').filter(Boolean).length);
  return canonicalPath(`/${[...mount, own.replace(/^\//, '')].join('/')}`).replace(/:(\w+)/g, '{$1}');
}

/**
 * Accepts or generates X-Request-Id, returns it, and logs one line per request with it, the token
 * check's outcome code and whether the answer was degraded. `req.log` is the request-scoped logger;
 * the kit's own lines (token refused, serving anonymously) go through it too.
 */
export function requestLogging(logger: Logger, metrics: Metrics): RequestHandler {
  return function requestLog(req: Request, res: Response, next: NextFunction) {
    const requestId = acceptRequestId(req.get('x-request-id'));
    res.set('X-Request-Id', requestId);
    req.headers['x-request-id'] = requestId;
    const log = logger.child({ requestId });
    req.log = log;
    const started = process.hrtime.bigint();
    const path = req.path;
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe({ route: routeLabel(req, path), status: String(res.statusCode) }, seconds);
      const auth = req.auth ? { auth: req.auth.outcome.code, degraded: req.auth.degraded } : {};
      log.info(
        { method: req.method, path, status: res.statusCode, ms: Math.round(seconds * 1000), ...auth },
        'request',
      );
    });
    runWithRequestId(requestId, () => next());
  };
}

/** Headers every response carries. */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({ 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' });
  next();
};

/** Unknown routes: a 404 problem like every other error. */
export const unknownRoute: RequestHandler = (_req, _res, next) => {
  next(new NotFound('Not found'));
};

/** The one place errors become responses: problem+json, no internals, never a stack trace. */
export function problemResponses(logger: Logger): ErrorRequestHandler {
  return function problems(error: unknown, req: Request, res: Response, _next: NextFunction) {
    const parseFailure = (error as { type?: unknown } | null)?.type === 'entity.parse.failed';
    const problem = parseFailure
      ? new HttpProblem(400, 'malformed-body', 'Bad Request', 'The request body is not valid JSON')
      : toProblem(error);
    if (problem.status >= 500) (req.log ?? logger).error({ err: error }, 'request failed');
    if (res.headersSent) return;
    res.status(problem.status).set(problem.headers).type(problemContentType).json(problem.toBody());
  };
}
