import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { acceptRequestId, runWithRequestId, securityHeaders, type Logger } from '@usher/platform';
import type { UiConfig } from './config.ts';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Every Usher server's security headers, and the UI's own: the page may load only its own scripts
 * and styles, talk only to itself and the provider, and not be framed. Sign-in and sign-out are
 * top-level navigations, which CSP does not restrict.
 */
export function uiSecurityHeaders(config: UiConfig): (readonly [string, string])[] {
  const provider = new URL(config.issuer).origin;
  const policy = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${provider}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return [
    ['Content-Security-Policy', policy],
    ...securityHeaders,
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Permissions-Policy', 'camera=(), microphone=(), geolocation=()'],
    ...(config.publicUrl.startsWith('https:')
      ? [['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] as const]
      : []),
  ];
}

export type UiRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The admin UI's server: the built single-page app with a fallback to index.html for its routes,
 * /config.json (so one build works against any provider), /healthz and /readyz.
 */
export function createUiHandler(config: UiConfig, logger: Logger): UiRequestHandler {
  const headers = uiSecurityHeaders(config);
  const runtimeConfig = JSON.stringify({
    issuer: config.issuer,
    clientId: config.ADMIN_UI_CLIENT_ID,
    adminAudience: config.adminAudience,
  });
  const root = path.resolve(config.distDir);
  // Hashed assets never change: read each once. index.html and the rest are read on every request,
  // so a rebuild while the server runs (npm start rebuilds stale assets) is served at once.
  const files = new Map<string, Buffer>();

  async function file(relative: string): Promise<Buffer | null> {
    const absolute = path.resolve(root, `.${relative}`);
    if (absolute !== root && !absolute.startsWith(root + path.sep)) return null;
    const known = files.get(absolute);
    if (known) return known;
    const body = await stat(absolute).then(
      (info) => (info.isFile() ? readFile(absolute) : null),
      () => null,
    );
    if (body && relative.startsWith('/assets/')) files.set(absolute, body);
    return body;
  }

  function send(res: ServerResponse, status: number, type: string, body: string | Buffer, cache = 'no-store') {
    res.statusCode = status;
    res.setHeader('Content-Type', type);
    res.setHeader('Cache-Control', cache);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  function problem(res: ServerResponse, status: number, title: string) {
    send(
      res,
      status,
      'application/problem+json; charset=utf-8',
      JSON.stringify({ type: 'about:blank', title, status }),
    );
  }

  return async function handle(req, res) {
    const requestId = acceptRequestId(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    for (const [name, value] of headers) res.setHeader(name, value);
    const started = Date.now();
    let pathname = '/';
    res.once('finish', () =>
      logger.info(
        { requestId, method: req.method, path: pathname, status: res.statusCode, ms: Date.now() - started },
        'request',
      ),
    );
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://ui.invalid').pathname);
    } catch {
      return problem(res, 400, 'Malformed path');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return problem(res, 405, 'Method not allowed');
    }
    if (pathname === '/healthz') return send(res, 200, 'application/json', '{"status":"ok"}');
    if (pathname === '/readyz') {
      const ready = (await file('/index.html')) !== null;
      return send(res, ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ok' : 'not built' }));
    }
    if (pathname === '/config.json') return send(res, 200, 'application/json; charset=utf-8', runtimeConfig);

    const extension = path.extname(pathname);
    const body = extension ? await file(pathname) : null;
    if (body) {
      // Vite names assets by content hash, so they can be cached for good; the rest is revalidated.
      const cache = pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return send(res, 200, contentTypes[extension] ?? 'application/octet-stream', body, cache);
    }
    if (extension && extension !== '.html') return problem(res, 404, 'Not found');
    // A route of the app (/users/…, /callback): the app itself decides what to show.
    const index = await file('/index.html');
    if (!index) return problem(res, 503, 'The admin UI is not built: run npm run build -w admin-ui');
    return send(res, 200, contentTypes['.html']!, index, 'no-cache');
  };
}

/**
 * The request listener around the handler: each request inside its request-id context (so every
 * line logged for it carries the id), a failure a 500 problem, never a stack trace.
 */
export function createUiListener(config: UiConfig, logger: Logger): RequestListener {
  const handle = createUiHandler(config, logger);
  return (req, res) => {
    const requestId = acceptRequestId(req.headers['x-request-id']);
    req.headers['x-request-id'] = requestId;
    runWithRequestId(requestId, () =>
      handle(req, res).catch((error: unknown) => {
        logger.error({ err: error }, 'request failed');
        if (res.headersSent) return void res.end();
        res.writeHead(500, { 'Content-Type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }));
      }),
    );
  };
}

/** The HTTP server (not listening) around the listener, for tests; main hands the listener to runService. */
export function createUiServer(config: UiConfig, logger: Logger): Server {
  return createServer(createUiListener(config, logger));
}
