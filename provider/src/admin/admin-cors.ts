import type { Context, Next } from 'koa';

const allowedMethods = 'GET, POST, PUT, PATCH, DELETE';
const allowedHeaders = 'Authorization, Content-Type, X-Request-Id';
const exposedHeaders = 'X-Request-Id, WWW-Authenticate, Retry-After';

/**
 * CORS for the admin API, strict: only the admin UI's origin (USHER_ADMIN_UI_URL) may call it from a
 * browser, with a bearer token and never with credentials (the API accepts no cookies). Without that
 * setting no origin is allowed. A preflight is answered here; other origins get no CORS headers, so
 * browsers refuse to hand them the answer.
 */
export function adminCors(adminUiUrl: string | undefined) {
  const allowedOrigin = adminUiUrl ? new URL(adminUiUrl).origin : null;
  return async function cors(ctx: Context, next: Next) {
    ctx.vary('Origin');
    const origin = ctx.get('Origin');
    const allowed = allowedOrigin !== null && origin === allowedOrigin;
    if (allowed) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Expose-Headers', exposedHeaders);
    }
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      if (allowed) {
        ctx.set('Access-Control-Allow-Methods', allowedMethods);
        ctx.set('Access-Control-Allow-Headers', allowedHeaders);
        ctx.set('Access-Control-Max-Age', '600');
      }
      ctx.status = 204;
      return;
    }
    await next();
  };
}
