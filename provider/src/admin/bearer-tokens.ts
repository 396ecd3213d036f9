import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWK } from 'jose';
import type { ProviderHolder } from '../oidc/provider-holder.ts';
import { findOpaqueAccessToken, isOpaqueTokenValue } from '../oidc/opaque-tokens.ts';
import type { OpaqueRevocations } from '../security-events/opaque-revocation.ts';
import type { RevocationCheck } from '../security-events/revocation-check.ts';

/** Why a bearer token was refused; each maps to one answer of the APIs that take tokens. */
export type TokenFault = 'missing' | 'malformed' | 'signature' | 'expired' | 'revoked' | 'audience';

export class TokenRefused extends Error {
  constructor(
    readonly fault: TokenFault,
    message: string,
  ) {
    super(message);
    this.name = 'TokenRefused';
  }
}

export interface VerifiedToken {
  subject: string;
  clientId: string;
  /** A client-credentials token: the subject is the client itself. */
  machine: boolean;
  audiences: string[];
  /** The token's `permissions` claim; null for opaque tokens, which carry none. */
  permissions: string[] | null;
  sessionId: string | null;
  jti: string | null;
  issuedAt: number;
}

/** `Authorization: Bearer <token>`; no cookies, so nothing here can be forged cross-site. */
export function bearerOf(header: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) throw new TokenRefused('missing', 'Missing Authorization Header');
  return match[1]!;
}

const stringList = (value: unknown) =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : null;

/**
 * Verifies access tokens of this provider locally: JWTs (RFC 9068) with the keys it publishes, and
 * opaque ones through oidc-provider's store; then checks the revocation feed, as resource servers
 * do. `audience`, when given, is required in `aud` (JWTs only).
 */
export function createTokenVerifier(options: {
  issuer: string;
  holder: ProviderHolder;
  isRevoked: RevocationCheck;
  opaqueRevocations: Pick<OpaqueRevocations, 'isRevoked'>;
}) {
  const { issuer, holder, isRevoked, opaqueRevocations } = options;
  let jwks: { keys: ProviderHolder['keys']; set: ReturnType<typeof createLocalJWKSet> } | null = null;
  const keySet = () => {
    if (jwks?.keys !== holder.keys) {
      jwks = { keys: holder.keys, set: createLocalJWKSet({ keys: holder.keys.map((key) => key.publicJwk as JWK) }) };
    }
    return jwks.set;
  };

  async function verifyJwt(token: string, audience: string | undefined): Promise<VerifiedToken> {
    try {
      decodeProtectedHeader(token);
    } catch {
      throw new TokenRefused('malformed', 'Invalid header padding');
    }
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, keySet(), {
        issuer,
        typ: 'at+jwt',
        requiredClaims: ['sub', 'iat', 'exp'],
        clockTolerance: 5,
        ...(audience ? { audience } : {}),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new TokenRefused('expired', 'Token has expired');
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
        throw new TokenRefused('audience', 'The token is not meant for this API');
      }
      throw new TokenRefused('signature', 'Signature verification failed');
    }
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : '';
    return {
      subject: payload.sub!,
      clientId,
      machine: payload.sub === clientId,
      audiences: typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []),
      permissions: stringList(payload.permissions) ?? [],
      sessionId: typeof payload.sid === 'string' ? payload.sid : null,
      jti: payload.jti ?? null,
      issuedAt: payload.iat!,
    };
  }

  async function verifyOpaque(token: string): Promise<VerifiedToken> {
    const found = await findOpaqueAccessToken(holder, token);
    if (!found) {
      // Revoked at /token/revocation: oidc-provider deleted it, the revocation feed remembers it.
      if (isOpaqueTokenValue(token) && (await opaqueRevocations.isRevoked(token))) {
        throw new TokenRefused('revoked', 'Token has been revoked');
      }
      throw new TokenRefused('malformed', 'Not enough segments');
    }
    return {
      subject: found.accountId ?? found.clientId,
      clientId: found.clientId,
      machine: found.accountId === null,
      audiences: [],
      permissions: null,
      sessionId: found.sessionId,
      jti: found.jti,
      issuedAt: found.issuedAt,
    };
  }

  return async function verify(header: string | undefined, audience?: string): Promise<VerifiedToken> {
    const token = bearerOf(header);
    const segments = token.split('.').length;
    if (segments !== 3 && (audience || segments !== 1)) throw new TokenRefused('malformed', 'Not enough segments');
    const verified = segments === 3 ? await verifyJwt(token, audience) : await verifyOpaque(token);
    if (await isRevoked(verified)) throw new TokenRefused('revoked', 'Token has been revoked');
    return verified;
  };
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;
