import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import type { SigningKey } from '../keys/key-store.ts';
import { eventTypes } from './event-types.ts';
import type { SecurityEventFeed } from './feed.ts';

/**
 * JWT access tokens are not stored, so oidc-provider refuses to revoke them. Once it has
 * authenticated the client, a live JWT access token of ours issued to that client becomes a
 * token-revoked event that resource servers apply. Anything else is ignored, as RFC 7009 asks.
 */
export function jwtAccessTokenRevoker(options: { issuer: string; keys: () => SigningKey[]; feed: SecurityEventFeed }) {
  return async function revoke(clientId: string, token: string): Promise<boolean> {
    try {
      const jwks = createLocalJWKSet({ keys: options.keys().map((key) => key.publicJwk as JWK) });
      const { payload } = await jwtVerify(token, jwks, { issuer: options.issuer, typ: 'at+jwt' });
      if (!payload.jti || !payload.sub || !payload.exp || payload.client_id !== clientId) return false;
      await options.feed.withEvents(async (_trx, emit) => {
        await emit({
          type: eventTypes.tokenRevoked,
          subject: payload.sub!,
          tokenJti: payload.jti!,
          tokenExpiresAt: new Date(payload.exp! * 1000),
        });
      });
      return true;
    } catch {
      return false; // expired, foreign or malformed: nothing to revoke
    }
  };
}
