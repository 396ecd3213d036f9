import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/** What Koa's cookies (and so oidc-provider's) call on a `keys` object: Keygrip's interface. */
export interface CookieSigner {
  sign(data: string): string;
  verify(data: string, digest: string): boolean;
  index(data: string, digest: string): number;
}

/**
 * Signs cookies exactly as Keygrip does by default (HMAC-SHA1, base64url), so cookies signed before
 * stay valid, but compares in constant time with `timingSafeEqual` and keeps each secret as a
 * KeyObject. Keygrip's comparison (tsscmp) HMACs both sides again under fresh random bytes, which
 * cost as much as the rest of a sign-in's cookie handling together; the outcome is the same.
 * The first secret signs; every secret verifies (rotation: put the new one first).
 */
export function createCookieSigner(secrets: string[]): CookieSigner {
  if (secrets.length === 0) throw new Error('at least one cookie secret is required');
  const keys: KeyObject[] = secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')));
  const mac = (data: string, key: KeyObject) => createHmac('sha1', key).update(data).digest('base64url');
  return {
    sign: (data) => mac(data, keys[0]!),
    verify(data, digest) {
      return this.index(data, digest) > -1;
    },
    index(data, digest) {
      const given = Buffer.from(String(digest));
      for (let i = 0; i < keys.length; i += 1) {
        const expected = Buffer.from(mac(data, keys[i]!));
        // The length of an HMAC-SHA1 signature is public; only equal lengths are compared.
        if (given.length === expected.length && timingSafeEqual(given, expected)) return i;
      }
      return -1;
    },
  };
}
