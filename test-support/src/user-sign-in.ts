import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { callbackUrl, signInWithCode } from './code-flow.ts';
import type { ProviderProcess } from './provider-process.ts';
import { readForm } from './user-agent.ts';

/**
 * Users as resource servers meet them: accounts made with the provider's CLI, signed in through the
 * provider's real sign-in page over HTTP (authorization code with PKCE), signed out through its
 * RP-initiated logout. Nothing here imports provider source.
 */
const signedOutUrl = 'http://127.0.0.1:9/signed-out';

export interface UserAccount {
  id: string;
  email: string;
  password: string;
}

/** A password account made with `users create`, as an operator would. */
export function createUserAccount(provider: ProviderProcess): UserAccount {
  const email = `user-${randomBytes(4).toString('hex')}@example.com`;
  const password = `correct horse ${randomBytes(4).toString('hex')}`;
  const result = provider.cli('users', 'create', '--email', email, '--password', password);
  if (result.status !== 0) throw new Error(`users create: ${result.stderr}`);
  return { id: (JSON.parse(result.stdout) as { uuid: string }).uuid, email, password };
}

/** A first-party web client (no consent page) made with `clients create`; answers openid-client's view of it. */
export async function registerWebClient(provider: ProviderProcess, clientId: string): Promise<oidc.Configuration> {
  const result = provider.cli(
    'clients',
    'create',
    '--json',
    JSON.stringify({
      client_id: clientId,
      redirect_uris: [callbackUrl],
      post_logout_redirect_uris: [signedOutUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      first_party: true,
    }),
  );
  if (result.status !== 0) throw new Error(`clients create: ${result.stderr}`);
  const secret = (JSON.parse(result.stdout) as { client_secret: string }).client_secret;
  return oidc.discovery(new URL(provider.url), clientId, secret, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** Signs `user` in through the provider's pages for an access token of `resource`. */
export async function signInUser(
  provider: ProviderProcess,
  config: oidc.Configuration,
  user: UserAccount,
  resource: string,
) {
  const { tokens, agent } = await signInWithCode(provider.url, config, user, { resource });
  return { tokens, agent };
}

/** RP-initiated logout, confirmed on the provider's page as the user would. */
export async function signOutUser(
  provider: ProviderProcess,
  config: oidc.Configuration,
  signedIn: Awaited<ReturnType<typeof signInUser>>,
): Promise<void> {
  const url = oidc.buildEndSessionUrl(config, {
    id_token_hint: signedIn.tokens.id_token!,
    post_logout_redirect_uri: signedOutUrl,
  });
  const { response } = await signedIn.agent.follow(url.toString(), provider.url);
  const form = readForm(await response.text());
  const { url: landed } = await signedIn.agent.submit(form.action, provider.url, { ...form.fields, logout: 'yes' });
  if (!landed.startsWith(signedOutUrl)) throw new Error(`logout stopped at ${landed}`);
}
