import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

const cookieName = 'usher.csrf';

/**
 * Signed double-submit CSRF protection for our forms: a random HttpOnly SameSite cookie, and in each
 * form an HMAC of it bound to the interaction. A cross-site page can neither read the cookie nor
 * compute the HMAC, so it cannot forge a valid form.
 */
export function createCsrf(secret: string, secureCookies: boolean) {
  const sign = (value: string, scope: string) =>
    createHmac('sha256', secret).update(`${scope}:${value}`).digest('base64url');

  return {
    /** Token for a form in `scope` (the interaction uid); sets the cookie when absent. */
    issue(ctx: Context, scope: string): string {
      let value = ctx.cookies.get(cookieName);
      if (!value || !/^[\w-]{43}$/.test(value)) {
        value = randomBytes(32).toString('base64url');
        ctx.cookies.set(cookieName, value, {
          httpOnly: true,
          sameSite: 'lax',
          secure: secureCookies,
          path: '/',
          overwrite: true,
        });
      }
      return sign(value, scope);
    },

    verify(ctx: Context, scope: string, submitted: unknown): boolean {
      const value = ctx.cookies.get(cookieName);
      if (!value || typeof submitted !== 'string') return false;
      const expected = Buffer.from(sign(value, scope));
      const given = Buffer.from(submitted);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
