import * as oidc from 'openid-client';
import { httpFetch, type Logger } from '@usher/platform';
import type { OidcUpstreamSettings } from '../config.ts';
import { UpstreamCancelled, UpstreamUnavailable, asUpstreamFailure } from './upstream-errors.ts';
import type { FlowStore } from './upstream-flow-store.ts';
import { profileFromClaims } from './upstream-profile.ts';
import type { Upstream } from './upstream-registry.ts';

/** Discovery metadata is re-read now and then, so that an upstream's changed endpoints are picked up. */
const discoveryMaxAgeMs = 60 * 60_000;

/**
 * A generic OpenID Connect upstream, with openid-client: endpoints discovered from the issuer URL
 * (lazily, so an upstream that is down does not stop start-up), code flow with PKCE, state and nonce,
 * then the userinfo endpoint for the claims the ID token leaves out.
 */
export function createOidcUpstream(
  settings: OidcUpstreamSettings,
  options: { callbackUrl: string; timeoutMs: number; flows: FlowStore; logger: Logger },
): Upstream {
  const insecure = new URL(settings.issuer).protocol === 'http:';
  if (insecure) options.logger.warn({ upstream: settings.id }, 'OpenID Connect upstream over plain HTTP');
  const clientAuth =
    settings.token_endpoint_auth_method === 'client_secret_post'
      ? oidc.ClientSecretPost(settings.client_secret)
      : oidc.ClientSecretBasic(settings.client_secret);
  let discovered: { at: number; config: Promise<oidc.Configuration> } | null = null;

  function configuration(): Promise<oidc.Configuration> {
    if (!discovered || Date.now() - discovered.at > discoveryMaxAgeMs) {
      const config = oidc.discovery(new URL(settings.issuer), settings.client_id, undefined, clientAuth, {
        timeout: options.timeoutMs / 1000,
        // Our one HTTP client: it forwards the request id.
        [oidc.customFetch]: (url, init) => httpFetch(url, init as RequestInit),
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      const entry = { at: Date.now(), config };
      discovered = entry;
      // A failed discovery is retried by the next sign-in, not remembered.
      config.catch(() => {
        if (discovered === entry) discovered = null;
      });
    }
    return discovered.config;
  }

  async function call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof oidc.AuthorizationResponseError && error.error === 'access_denied') {
        throw new UpstreamCancelled('access denied', { cause: error });
      }
      throw asUpstreamFailure(error);
    }
  }

  return {
    id: settings.id,
    name: settings.name,
    method: 'upstream',

    async begin(binding) {
      const config = await call(configuration);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const state = await options.flows.save({ ...binding, upstream: settings.id, codeVerifier, nonce });
      return oidc
        .buildAuthorizationUrl(config, {
          redirect_uri: options.callbackUrl,
          scope: 'openid email profile',
          state,
          nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: 'S256',
        })
        .toString();
    },

    async complete(flow, response) {
      const config = await call(configuration);
      const current = new URL(options.callbackUrl);
      for (const [name, value] of response) current.searchParams.append(name, value);
      const tokens = await call(() =>
        oidc.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          ...(flow.nonce ? { expectedNonce: flow.nonce } : { idTokenExpected: true }),
        }),
      );
      const idToken = tokens.claims();
      if (!idToken) throw new UpstreamUnavailable('no ID token');
      let claims: Record<string, unknown> = { ...idToken };
      if (config.serverMetadata().userinfo_endpoint) {
        const userinfo = await call(() => oidc.fetchUserInfo(config, tokens.access_token, idToken.sub));
        claims = { ...claims, ...userinfo };
      }
      return profileFromClaims(claims);
    },
  };
}
