/**
 * The alternative the films bench sets local verification against: asking the provider's token
 * introspection endpoint (RFC 7662) about every token, as a confidential client. It gives films
 * (through buildApp's `deps.verifier`) the same outcomes as the kit's TokenVerifier, at the price of
 * one round trip to the provider per request, and it shares the provider's outages.
 */
import { httpFetch } from '@usher/platform';
import { outcomeCodes, type Outcome, type Subject } from '@usher/kit';

export interface IntrospectionVerifierOptions {
  issuer: string;
  /** This server's resource identifier: an active token must name it in `aud`. */
  audience: string;
  /** A confidential client of the provider (client_secret_basic). */
  clientId: string;
  clientSecret: string;
  /** The introspection endpoint; `discover` reads it from the provider's discovery document. */
  endpoint: string;
  /** An answer slower than this counts as the provider being unreachable. */
  timeoutMs?: number;
}

/** The RFC 7662 answer, with the claims Usher adds to its access tokens (`roles`, `permissions`). */
interface IntrospectionAnswer {
  active?: unknown;
  error?: unknown;
  sub?: unknown;
  client_id?: unknown;
  iss?: unknown;
  aud?: unknown;
  exp?: unknown;
  iat?: unknown;
  scope?: unknown;
  jti?: unknown;
  sid?: unknown;
  roles?: unknown;
  permissions?: unknown;
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const number = (value: unknown) => (typeof value === 'number' ? value : 0);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

const degraded = (reason: string): Outcome => ({ code: outcomeCodes.degraded, degraded: true, reason });
const invalid = (reason: string): Outcome => ({ code: outcomeCodes.invalid, degraded: false, reason });

export class IntrospectionVerifier {
  private readonly authorization: string;

  constructor(private readonly options: IntrospectionVerifierOptions) {
    // RFC 6749 2.3.1: both halves are form-encoded before the Basic encoding.
    const credentials = `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  /** Finds the endpoint in the provider's discovery document (RFC 8414 `introspection_endpoint`). */
  static async discover(options: Omit<IntrospectionVerifierOptions, 'endpoint'>): Promise<IntrospectionVerifier> {
    const response = await httpFetch(`${options.issuer}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
    });
    if (!response.ok) throw new Error(`discovery answered ${response.status}`);
    const discovery = (await response.json()) as { issuer?: unknown; introspection_endpoint?: unknown };
    if (discovery.issuer !== options.issuer || typeof discovery.introspection_endpoint !== 'string')
      throw new Error('the discovery document names another issuer or no introspection endpoint');
    return new IntrospectionVerifier({ ...options, endpoint: discovery.introspection_endpoint });
  }

  async verify(token: string | null | undefined): Promise<Outcome> {
    if (!token) return { code: outcomeCodes.anonymous, degraded: false };
    let response: Response;
    let answer: IntrospectionAnswer | null;
    try {
      response = await httpFetch(this.options.endpoint, {
        method: 'POST',
        headers: {
          authorization: this.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2000),
      });
      answer = (await response.json().catch(() => null)) as IntrospectionAnswer | null;
    } catch (error) {
      return degraded(`introspection failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (response.status === 401) {
      // Our own credentials were refused: a configuration error, not the caller's fault.
      throw new Error(`the provider refused the introspection client ${this.options.clientId}`);
    }
    // A provider that will not introspect structured (JWT) access tokens (plain oidc-provider does not).
    if (response.status === 400 && answer?.error === 'unsupported_token_type')
      return degraded('the provider does not introspect this token type');
    if (response.status >= 500 || !answer) return degraded(`introspection answered ${response.status}`);
    if (!response.ok) return invalid(`introspection refused: ${text(answer.error) ?? response.status}`);
    return this.outcomeOf(answer);
  }

  private outcomeOf(answer: IntrospectionAnswer): Outcome {
    // Inactive covers expired, revoked, unknown and forged alike (RFC 7662 2.2).
    if (answer.active !== true) return invalid('token not active');
    const sub = text(answer.sub);
    if (!sub) return invalid('no subject');
    if (answer.iss !== undefined && answer.iss !== this.options.issuer) return invalid('unexpected "iss" claim value');
    const audiences = typeof answer.aud === 'string' ? [answer.aud] : strings(answer.aud);
    if (!audiences.includes(this.options.audience)) return invalid('unexpected "aud" claim value');
    const subject: Subject = {
      sub,
      clientId: text(answer.client_id),
      roles: strings(answer.roles),
      permissions: strings(answer.permissions),
      scope: (text(answer.scope) ?? '').split(' ').filter(Boolean),
      jti: text(answer.jti),
      sid: text(answer.sid),
      issuedAt: number(answer.iat),
      expiresAt: number(answer.exp),
    };
    return { code: outcomeCodes.verified, subject, degraded: false };
  }
}
