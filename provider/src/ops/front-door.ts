import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptRequestId, runWithRequestId, securityHeaders, type Logger } from '@usher/platform';
import type { Metrics } from './metrics.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Every Usher server's security headers, and the provider's own: its pages open no cross-origin windows. */
export const securityHeaderValues = (https: boolean): (readonly [string, string])[] => [
  ...securityHeaders,
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ...(https ? [['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] as const] : []),
];

function routeLabel(path: string): string {
  if (path.startsWith('/interaction/')) return '/interaction';
  return path.split('/').slice(0, 2).join('/') || '/';
}

/**
 * The provider's front door, in front of both Koa apps (ours and oidc-provider's): every request gets
 * its X-Request-Id (accepted or generated), the security headers, a duration in /metrics and one
 * access-log line. Protocol requests then go straight to oidc-provider, so the hot token endpoint does
 * not pay for a second Koa context. Every request runs inside the request-id context, so its outgoing
 * calls forward the id and every line logged on its behalf (ours or oidc-provider's) carries it.
 */
export function createFrontDoor(options: {
  logger: Logger;
  metrics: Metrics;
  https: boolean;
  /** Our Koa app: pages, operations, feed, and protocol requests that need our checks first. */
  ours: RequestHandler;
  /** The protocol (oidc-provider), for everything else. */
  protocol: RequestHandler;
  /** Requests our app must see; the rest are the protocol's. */
  isOurs: (method: string, path: string) => boolean;
}): RequestHandler {
  const { metrics, ours, protocol, isOurs } = options;
  // Access lines hold method, path, status and time only: they skip redaction, which costs.
  const access = options.logger.child({}, { redact: [] });
  const headers = securityHeaderValues(options.https);

  return function frontDoor(req, res) {
    const requestId = acceptRequestId(req.headers['x-request-id']);
    req.headers['x-request-id'] = requestId;
    res.setHeader('X-Request-Id', requestId);
    for (const [name, value] of headers) res.setHeader(name, value);
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = req.method ?? 'GET';
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe({ route: routeLabel(path), status: String(res.statusCode) }, seconds);
      // Named here: 'finish' may fire outside the request's context (pino keeps one requestId key).
      access.info({ requestId, method, path, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    });
    return runWithRequestId(requestId, () => (isOurs(method, path) ? ours(req, res) : protocol(req, res)));
  };
}
