import { createHash } from 'node:crypto';
import type { Logger } from '@usher/platform';
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { outcomeCodes, type Outcome, type Subject } from './outcomes.ts';
import type { ProviderKeys } from './provider-keys.ts';

export interface RevocationCheck {
  /** True when a revocation event covers this token. */
  isRevoked(subject: Subject): boolean;
}

export interface TokenVerifierOptions {
  issuer: string;
  /** This server's resource identifier: tokens must carry it as `aud`. */
  audience: string;
  keys: ProviderKeys;
  algorithms?: string[];
  /** Leeway for exp/nbf, seconds. */
  clockToleranceSeconds?: number;
  revocations?: RevocationCheck;
  /** Verified tokens kept (by hash) until they expire, so a hot token is checked once. */
  cacheSize?: number;
  logger?: Logger;
}

const defaultAlgorithms = ['ES256', 'RS256', 'PS256', 'EdDSA'];

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

function toSubject(payload: JWTPayload): Subject {
  return {
    sub: payload.sub!,
    clientId: typeof payload.client_id === 'string' ? payload.client_id : undefined,
    roles: strings(payload.roles),
    permissions: strings(payload.permissions),
    scope: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
    jti: payload.jti,
    sid: typeof payload.sid === 'string' ? payload.sid : undefined,
    issuedAt: payload.iat ?? 0,
    expiresAt: payload.exp ?? 0,
  };
}

/**
 * Verifies bearer tokens locally against the provider's keys: signature, `iss`, `aud`, `exp`/`nbf`
 * with leeway, `typ: at+jwt`, allowed algorithms. Nothing here calls the provider except a key
 * lookup for a kid never seen before.
 */
export class TokenVerifier {
  private readonly cache = new Map<string, Subject>();
  private readonly cacheSize: number;

  constructor(private readonly options: TokenVerifierOptions) {
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  async verify(token: string | null | undefined): Promise<Outcome> {
    if (!token) return { code: outcomeCodes.anonymous, degraded: false };
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(cacheKey);
    if (cached) return this.afterVerification(cached);

    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      kid = header.kid;
    } catch {
      return { code: outcomeCodes.invalid, degraded: false, reason: 'malformed token' };
    }
    const lookup = await this.options.keys.lookup(kid);
    if (!lookup.found) {
      if (!lookup.providerReachable) return { code: outcomeCodes.degraded, degraded: true, reason: lookup.reason };
      return { code: outcomeCodes.invalid, degraded: false, reason: 'unknown signing key' };
    }
    try {
      const { payload } = await jwtVerify(token, lookup.key, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: 'at+jwt',
        // Only the algorithm the key is for: a header naming another one would reach WebCrypto with
        // the wrong key type, which throws a TypeError (a 500), not a JOSE error (a 401).
        algorithms: (this.options.algorithms ?? defaultAlgorithms).filter((alg) => alg === lookup.jwk.alg),
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      const subject = toSubject(payload);
      this.remember(cacheKey, subject);
      return this.afterVerification(subject);
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        return { code: outcomeCodes.expired, degraded: false, reason: 'token expired' };
      if (error instanceof errors.JOSEError) return { code: outcomeCodes.invalid, degraded: false, reason: error.code };
      throw error;
    }
  }

  private afterVerification(subject: Subject): Outcome {
    const leeway = this.options.clockToleranceSeconds ?? 5;
    if (subject.expiresAt + leeway < Date.now() / 1000)
      return { code: outcomeCodes.expired, degraded: false, reason: 'token expired' };
    if (this.options.revocations?.isRevoked(subject))
      return { code: outcomeCodes.revoked, degraded: false, reason: 'token revoked' };
    return { code: outcomeCodes.verified, subject, degraded: false };
  }

  private remember(key: string, subject: Subject) {
    if (this.cache.size >= this.cacheSize) {
      // Drop the oldest entries (Map keeps insertion order); expired ones go first in practice.
      const drop = Math.ceil(this.cacheSize / 10);
      let removed = 0;
      for (const oldest of this.cache.keys()) {
        this.cache.delete(oldest);
        if (++removed >= drop) break;
      }
    }
    this.cache.set(key, subject);
  }
}
