import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';

/** Long enough to outlive a holiday; every successful sign-in issues a fresh one. */
const maxAgeMs = 180 * 24 * 60 * 60 * 1000;
const nonceShape = /^[\w-]{22}$/;

/** One cookie per account a browser signed in to, named after the account but not naming it. */
const cookieName = (accountId: string) =>
  `usher.device.${createHash('sha256').update(accountId).digest('base64url').slice(0, 16)}`;

/**
 * OWASP's device cookies ("Slow Down Online Guessing Attacks with Device Cookies"): a browser that
 * signed in to an account gets a random nonce in a cookie signed with the cookie secrets (Koa's
 * signed cookies, through our cookie signer). The signature covers the cookie's name, which is
 * derived from the account, so a cookie vouches for that account only. The throttle gives such a
 * browser its own failure budget (`<account>:<nonce>`), apart from the account-wide lockout that
 * every other browser shares.
 */
export function createDeviceCookies(secure: boolean) {
  return {
    /** The device key of a valid device cookie for `accountId` on this request, else null. */
    read(ctx: Context, accountId: string): string | null {
      const nonce = ctx.cookies.get(cookieName(accountId), { signed: true });
      return nonce && nonceShape.test(nonce) ? `${accountId}:${nonce}` : null;
    },

    /** After a successful sign-in, a fresh nonce (OWASP: a new cookie at each success). */
    issue(ctx: Context, accountId: string): void {
      ctx.cookies.set(cookieName(accountId), randomBytes(16).toString('base64url'), {
        signed: true,
        httpOnly: true,
        sameSite: 'lax',
        secure,
        // Only the sign-in forms read it.
        path: '/interaction/',
        maxAge: maxAgeMs,
        overwrite: true,
      });
    },
  };
}

export type DeviceCookies = ReturnType<typeof createDeviceCookies>;
