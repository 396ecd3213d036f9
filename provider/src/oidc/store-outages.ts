import { isStoreUnavailable, storeRetryAfterSeconds, type Logger } from '@usher/platform';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import * as pages from '../interactions/views/pages.ts';

const description = 'the service is temporarily unavailable, retry later';

/**
 * A store that is down, at the protocol endpoints: 503 with Retry-After and the OAuth error
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1, the same word at every endpoint), or for a browser
 * an error page saying so; never the 500 `server_error` oidc-provider gives any error it did not
 * raise itself.
 *
 * oidc-provider catches errors inside each route, answers them, and reports those it did not raise
 * with its `server_error` event before the answer is sent: the event marks the request, and this
 * middleware, outermost around every route (install it before any other), rewrites the answer.
 * Errors thrown by our own middleware around the routes are answered here too.
 */
export function answerStoreOutages(provider: Provider, logger: Logger): void {
  const outages = new WeakMap<object, unknown>();
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: unknown) => {
    if (isStoreUnavailable(error)) outages.set(ctx, error);
  });
  provider.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      outages.set(ctx, error);
    }
    if (!outages.has(ctx)) return;
    const requestId = ctx.get('x-request-id') || undefined;
    logger.warn({ requestId, reason: (outages.get(ctx) as Error).message }, 'a store is unavailable');
    ctx.status = 503;
    ctx.set('Retry-After', String(storeRetryAfterSeconds));
    ctx.set('Cache-Control', 'no-store');
    if (ctx.accepts('json', 'html') === 'html') {
      ctx.type = 'html';
      ctx.body = pages.errorPage({
        title: 'Temporarily unavailable',
        message: 'Signing in is unavailable for a moment. Wait a few seconds, then try again.',
        requestId,
      });
    } else {
      ctx.type = 'json';
      ctx.body = { error: 'temporarily_unavailable', error_description: description };
    }
  });
}
