import type { ServerResponse } from 'node:http';
import { clientIp, type TrustProxy } from '@usher/platform';
import type { RequestHandler } from '../ops/front-door.ts';
import { isForm, parseFormText, readBodyText } from '../ops/form-body.ts';
import type { Throttle } from './throttle.ts';

/** oidc-provider's own limit on a form body; it refuses anything longer. */
const formLimitBytes = 56 * 1024;

function oauthError(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

/**
 * POST /token, before oidc-provider: reads the form once (oidc-provider then takes it from req.body;
 * it warns once that it does) and answers refresh grants over the per-IP limit with 429.
 */
export function limitRefreshGrants(
  throttle: Throttle,
  trustProxy: TrustProxy,
  protocol: RequestHandler,
): RequestHandler {
  return async function limitedTokenEndpoint(req, res) {
    if (!isForm(req)) return protocol(req, res);
    const raw = await readBodyText(req, formLimitBytes);
    if (raw === null) {
      // The rest of the body is never read: the connection cannot carry another request.
      res.shouldKeepAlive = false;
      oauthError(res, 400, { error: 'invalid_request', error_description: 'request body too large' });
      return;
    }
    (req as { body?: string }).body = raw;
    // Parsed as oidc-provider parses it, so an encoded name or value cannot slip past the limit.
    if (parseFormText(raw).grant_type === 'refresh_token') {
      const verdict = await throttle.refresh(clientIp(req, trustProxy) || 'unknown');
      if (!verdict.allowed) {
        oauthError(
          res,
          429,
          { error: 'slow_down', error_description: 'too many refresh requests, retry later' },
          { 'Retry-After': String(verdict.retryAfterSeconds) },
        );
        return;
      }
    }
    return protocol(req, res);
  };
}
