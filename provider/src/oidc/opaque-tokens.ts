import type Provider from 'oidc-provider';
import type { ProviderHolder } from './provider-holder.ts';

export interface OpaqueAccessToken {
  jti: string;
  accountId: string | null;
  clientId: string;
  sessionId: string | null;
  issuedAt: number;
  expiresAt: number;
}

/** The shape of the values oidc-provider issues as opaque tokens. */
export const isOpaqueTokenValue = (value: string) => /^[A-Za-z0-9_-]{20,128}$/.test(value);

type AccessTokenModel = InstanceType<Provider['AccessToken']>;

/** What the rest of the provider needs of oidc-provider's access token model. */
export function opaqueAccessTokenOf(token: AccessTokenModel): OpaqueAccessToken {
  return {
    jti: token.jti,
    accountId: token.accountId ?? null,
    clientId: token.clientId ?? '',
    sessionId: (token as { sessionUid?: string }).sessionUid ?? null,
    issuedAt: token.iat ?? 0,
    expiresAt: token.exp ?? 0,
  };
}

/**
 * Looks up an opaque access token (issued when no resource was named, for userinfo) the way
 * oidc-provider does: unknown, expired, consumed or revoked tokens are not found.
 */
export async function findOpaqueAccessToken(
  holder: ProviderHolder,
  value: string,
): Promise<OpaqueAccessToken | undefined> {
  if (!isOpaqueTokenValue(value)) return undefined;
  const token = await holder.current.AccessToken.find(value);
  return token ? opaqueAccessTokenOf(token) : undefined;
}
