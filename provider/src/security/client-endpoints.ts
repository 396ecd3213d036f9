import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientIp, type Logger, type TrustProxy } from '@usher/platform';
import type { RequestHandler } from '../ops/front-door.ts';
import { isForm, parseFormText, readBodyText } from '../ops/form-body.ts';
import type { Throttle } from './throttle.ts';

/** oidc-provider's own limit on a form body; it refuses anything longer. */
const formLimitBytes = 56 * 1024;

/** The endpoints where a client authenticates: token, introspection, revocation, PAR, device. */
const clientEndpointPaths = /^\/(?:token|token\/introspection|token\/revocation|request|device\/auth)\/?(?:\?|$)/;

export const isClientEndpoint = (req: IncomingMessage) =>
  req.method === 'POST' && clientEndpointPaths.test(req.url ?? '');

type Form = Record<string, string | string[] | undefined>;

function oauthError(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

const single = (value: string | string[] | undefined) => (typeof value === 'string' && value ? value : null);

/** A client id as oidc-provider reads the Authorization header: `Basic base64(urlencoded id:secret)`. */
function basicClientId(authorization: string | undefined): string | null {
  const [scheme, credentials] = (authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !credentials) return null;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
  } catch {
    return decoded.slice(0, colon);
  }
}

/** The `sub` of a client assertion (private_key_jwt, client_secret_jwt), unverified: a counter key only. */
function assertionClientId(assertion: string | null): string | null {
  const payload = assertion?.split('.')[1];
  if (!payload) return null;
  try {
    const { sub } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof sub === 'string' && sub ? sub : null;
  } catch {
    return null;
  }
}

/**
 * The client a request authenticates as, read the ways oidc-provider reads it (form `client_id`,
 * then Basic credentials, then a client assertion's subject); null when it names none.
 */
export function presentedClientId(req: IncomingMessage, form: Form): string | null {
  return (
    single(form.client_id) ??
    basicClientId(req.headers.authorization) ??
    assertionClientId(single(form.client_assertion))
  );
}

/**
 * The endpoints where clients authenticate, before oidc-provider: reads the form once (oidc-provider
 * then takes it from req.body; it warns once that it does), answers refresh grants over the per-IP
 * limit with 429 `slow_down`, and refuses a client id or IP locked out by failed client
 * authentication before any secret is checked. A 401 from oidc-provider at these endpoints is
 * always `invalid_client` (a failed client authentication); it counts against both.
 *
 * A lockout is answered 429 (RFC 6585) with Retry-After and the OAuth error `invalid_client`
 * (RFC 6749 §5.2: the client could not be authenticated). Not 401: that says "wrong credentials",
 * which would send the operator of a client whose id is being attacked looking for a bad secret, and
 * gives a client nothing to wait on; 429 with Retry-After is what HTTP clients and their retry
 * logic understand as "wait, then try again", and it does not reveal whether the secret was right.
 */
export function guardClientEndpoints(options: {
  throttle: Throttle;
  trustProxy: TrustProxy;
  logger: Logger;
  protocol: RequestHandler;
}): RequestHandler {
  const { throttle, trustProxy, logger, protocol } = options;

  async function readForm(req: IncomingMessage, res: ServerResponse): Promise<Form | null> {
    if (!isForm(req)) return {};
    const raw = await readBodyText(req, formLimitBytes);
    if (raw === null) {
      // The rest of the body is never read: the connection cannot carry another request.
      res.shouldKeepAlive = false;
      oauthError(res, 400, { error: 'invalid_request', error_description: 'request body too large' });
      return null;
    }
    (req as { body?: string }).body = raw;
    // Parsed as oidc-provider parses it, so an encoded name or value cannot slip past the limits.
    return parseFormText(raw);
  }

  /** 429 with the OAuth error and how long to wait. */
  function refuse(res: ServerResponse, error: string, description: string, retryAfterSeconds: number) {
    oauthError(res, 429, { error, error_description: description }, { 'Retry-After': String(retryAfterSeconds) });
  }

  async function guarded(req: IncomingMessage, res: ServerResponse, form: Form) {
    const ip = clientIp(req, trustProxy) || 'unknown';
    if (/^\/token\/?(?:\?|$)/.test(req.url ?? '') && form.grant_type === 'refresh_token') {
      const verdict = await throttle.refresh(ip);
      if (!verdict.allowed) {
        return refuse(res, 'slow_down', 'too many refresh requests, retry later', verdict.retryAfterSeconds);
      }
    }
    const clientId = presentedClientId(req, form);
    const verdict = await throttle.beforeClientAuth(clientId, ip);
    if (!verdict.allowed) {
      if (!isForm(req)) res.shouldKeepAlive = false; // its body was left unread
      const description = 'too many failed client authentications, retry later';
      return refuse(res, 'invalid_client', description, verdict.retryAfterSeconds);
    }
    await protocol(req, res);
    if (res.statusCode === 401) await throttle.clientAuthFailed(clientId, ip);
  }

  return async function clientEndpoint(req, res) {
    const form = await readForm(req, res);
    if (form === null) return;
    try {
      await guarded(req, res, form);
    } catch (error) {
      // The limits' store (Redis) is down: refuse clearly rather than let guesses through unlimited.
      logger.warn({ err: { name: (error as Error).name, message: (error as Error).message } }, 'client limits failed');
      if (res.headersSent) return;
      if (!isForm(req)) res.shouldKeepAlive = false;
      oauthError(
        res,
        503,
        { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable' },
        { 'Retry-After': '5' },
      );
    }
  };
}
