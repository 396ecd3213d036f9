import type { ProviderHolder } from './provider-holder.ts';

export interface OpaqueAccessToken {
  jti: string;
  accountId: string | null;
  clientId: string;
  sessionId: string | null;
  issuedAt: number;
  expiresAt: number;
}

/**
 * Looks up an opaque access token (issued when no resource was named, for userinfo) the way
 * oidc-provider does: unknown, expired, consumed or revoked tokens are not found.
 */
export async function findOpaqueAccessToken(
  holder: ProviderHolder,
  value: string,
): Promise<OpaqueAccessToken | undefined> {
  if (!/^[A-Za-z0-9_-]{20,128}$/.test(value)) return undefined;
  const token = await holder.current.AccessToken.find(value);
  if (!token) return undefined;
  return {
    jti: token.jti,
    accountId: token.accountId ?? null,
    clientId: token.clientId ?? '',
    sessionId: (token as { sessionUid?: string }).sessionUid ?? null,
    issuedAt: token.iat ?? 0,
    expiresAt: token.exp ?? 0,
  };
}
