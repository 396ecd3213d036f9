import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { registerUser } from '../src/accounts/registration.ts';
import { callbackUrl, signInWithCode, UserAgent } from '@usher/test-support';
import type { RunningProvider } from './harness.ts';

export { callbackUrl };
export const filmsResource = 'http://films.test';

export async function createUser(
  provider: RunningProvider,
  overrides: { email?: string; password?: string; roles?: string[] } = {},
) {
  const email = overrides.email ?? `user-${randomBytes(4).toString('hex')}@example.com`;
  const password = overrides.password ?? `correct horse ${randomBytes(3).toString('hex')}`;
  const user = await registerUser(
    provider.built.domain,
    { email, password, ...(overrides.roles ? { roles: overrides.roles } : {}) },
    'test',
  );
  return { id: user.id, email, password };
}

export async function createWebClient(provider: RunningProvider, metadata: Record<string, unknown> = {}) {
  return provider.built.domain.clients.create({
    client_name: 'Cinema web',
    redirect_uris: [callbackUrl],
    post_logout_redirect_uris: ['http://127.0.0.1:9/signed-out'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    first_party: true,
    ...metadata,
  }) as Promise<{ client_id: string; client_secret?: string } & Record<string, unknown>>;
}

/** openid-client's configuration for a client of the running provider (plain HTTP is allowed in tests). */
export async function discover(provider: RunningProvider, clientId: string, secret?: string, auth?: oidc.ClientAuth) {
  return oidc.discovery(
    new URL(provider.url),
    clientId,
    secret,
    auth ?? (secret ? oidc.ClientSecretBasic(secret) : oidc.None()),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
}

/** The authorization code flow with PKCE through our real sign-in pages (see code-flow.ts). */
export function signIn(
  provider: RunningProvider,
  config: oidc.Configuration,
  user: { email: string; password: string },
  params: Record<string, string> = {},
  agent = new UserAgent(),
) {
  return signInWithCode(provider.url, config, user, params, agent);
}
