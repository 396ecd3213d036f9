import { clientIp, type TrustProxy } from '@usher/platform';
import type { Context, Next } from 'koa';

/**
 * `ctx.ip` is the caller as platform's `clientIp` reads it, the address the token endpoint's refresh
 * limit keys on too: one rule for sign-in logs and every limit. (Koa's own reading, with `proxy`,
 * takes the leftmost X-Forwarded-For entry unchecked, so a malformed one would reach the logs.)
 */
export function callerAddress(trustProxy: TrustProxy) {
  return function setCallerAddress(ctx: Context, next: Next) {
    ctx.request.ip = clientIp(ctx.req, trustProxy);
    return next();
  };
}
