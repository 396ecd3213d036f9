import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import type { SigningKey } from '../keys/key-store.ts';
import type { RevocationCheck } from './revocation-check.ts';

/** The members of a JWT access token an introspection answer repeats (RFC 7662 section 2.2). */
const answered = ['sub', 'client_id', 'scope', 'aud', 'iss', 'exp', 'iat', 'nbf', 'jti', 'sid', 'roles', 'permissions'];

export interface IntrospectingClient {
  clientId: string;
  /** Public clients (no authentication) may only introspect their own tokens, as for opaque ones. */
  publicClient: boolean;
}

/**
 * JWT access tokens are not stored, so oidc-provider refuses to introspect them. Once it has
 * authenticated the client, a JWT access token of ours is checked here the way resource servers
 * check it (signature, issuer, `typ`, expiry) plus the revocation feed, and answered as RFC 7662
 * says: its claims when active, `{"active": false}` for anything else.
 */
export function jwtAccessTokenIntrospector(options: {
  issuer: string;
  keys: () => SigningKey[];
  isRevoked: RevocationCheck;
}) {
  let keySet: { keys: SigningKey[]; jwks: ReturnType<typeof createLocalJWKSet> } | null = null;
  const jwks = () => {
    const keys = options.keys();
    if (keySet?.keys !== keys)
      keySet = { keys, jwks: createLocalJWKSet({ keys: keys.map((key) => key.publicJwk as JWK) }) };
    return keySet.jwks;
  };

  return async function introspect(client: IntrospectingClient, token: string): Promise<Record<string, unknown>> {
    try {
      const { payload } = await jwtVerify(token, jwks(), { issuer: options.issuer, typ: 'at+jwt' });
      if (!payload.sub || !payload.iat) return { active: false };
      if (client.publicClient && payload.client_id !== client.clientId) return { active: false };
      const revoked = await options.isRevoked({
        subject: payload.sub,
        sessionId: typeof payload.sid === 'string' ? payload.sid : null,
        jti: payload.jti ?? null,
        issuedAt: payload.iat,
      });
      if (revoked) return { active: false };
      const claims: Record<string, unknown> = { active: true, token_type: 'Bearer' };
      for (const name of answered) if (payload[name] !== undefined) claims[name] = payload[name];
      return claims;
    } catch {
      return { active: false }; // expired, foreign, tampered or malformed
    }
  };
}
