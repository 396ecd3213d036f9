import { acceptRequestId, requestIdHeader, runWithRequestId, type Logger, type ServiceMetrics } from '@usher/platform';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The route template each answered request matched (set by the route table), for the metric label. */
const routeTemplates = new WeakMap<Response, string>();

export function markRoute(res: Response, template: string): void {
  routeTemplates.set(res, template);
}

/**
 * Accepts or generates X-Request-Id, returns it, and runs the rest of the request in its context (so
 * every line logged meanwhile carries it, and outgoing calls forward it). When the answer is done:
 * one log line (method, path, status, ms, the token check's outcome and whether it was degraded) and
 * one observation of `usher_http_request_duration_seconds`, labelled by route template, never by
 * the raw path (every label value is a series kept for good: ids and made-up paths must not mint them).
 */
export function requestLog(logger: Logger, metrics: Pick<ServiceMetrics, 'httpDuration'>): RequestHandler {
  return function logRequest(req: Request, res: Response, next: NextFunction) {
    const requestId = acceptRequestId(req.get(requestIdHeader));
    res.set('X-Request-Id', requestId);
    req.headers[requestIdHeader] = requestId;
    const started = process.hrtime.bigint();
    const path = req.path;
    // 'close' also comes when the client leaves before the answer is complete (a stream it stops reading).
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.statusCode;
      metrics.httpDuration.observe({ route: routeTemplates.get(res) ?? 'unmatched', status: String(status) }, seconds);
      const auth = req.auth ? { auth: req.auth.outcome.code, degraded: req.auth.degraded } : {};
      const cut = res.writableFinished ? {} : { aborted: true };
      // The request id is named here: this runs outside the request's context.
      logger.info(
        { requestId, method: req.method, path, status, ms: Math.round(seconds * 1000), ...auth, ...cut },
        'request',
      );
    });
    runWithRequestId(requestId, next);
  };
}
