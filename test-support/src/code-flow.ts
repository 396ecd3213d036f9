import * as oidc from 'openid-client';
import { readForm, UserAgent } from './user-agent.ts';

/** The redirect URI of the tests' web clients; nothing listens there, the agent stops at it. */
export const callbackUrl = 'http://127.0.0.1:9/callback';

/**
 * Runs the authorization code flow with PKCE through the provider's real sign-in pages at
 * `providerUrl`, as a browser would (signing in when the page asks), and returns the tokens
 * openid-client obtained. Over HTTP only: resource-server tests use it as well as the provider's.
 */
export async function signInWithCode(
  providerUrl: string,
  config: oidc.Configuration,
  user: { email: string; password: string },
  params: Record<string, string> = {},
  agent = new UserAgent(),
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  let { response, url: at } = await agent.follow(url.toString(), providerUrl);
  if (!at.startsWith(callbackUrl)) {
    const page = await response.text();
    const form = readForm(page);
    ({ response, url: at } = await agent.submit(form.action, providerUrl, {
      ...form.fields,
      email: user.email,
      password: user.password,
    }));
  }
  if (!at.startsWith(callbackUrl))
    throw new Error(
      `sign-in did not reach the callback: ${response.status} ${at}\n${(await response.text()).slice(0, 1500)}`,
    );
  const tokens = await oidc.authorizationCodeGrant(config, new URL(at), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  return { tokens, agent, callback: at };
}
