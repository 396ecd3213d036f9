import type { Logger } from '@usher/platform';
import type { SignInMethod } from '../accounts/sign-in-log.ts';
import type { ProviderConfig } from '../config.ts';
import { createGoogleUpstream } from './google-upstream.ts';
import { createOidcUpstream } from './oidc-upstream.ts';
import type { FlowBinding, FlowStore, UpstreamFlow } from './upstream-flow-store.ts';
import type { UpstreamProfile } from './upstream-profile.ts';

/** An identity provider users may sign in with instead of a password. */
export interface Upstream {
  /** `google` or the configured id: names the callback URL and the provider of linked identities. */
  readonly id: string;
  /** Shown on the button: "Sign in with <name>". */
  readonly name: string;
  /** How sign-ins through it are recorded in the sign-in log and metrics. */
  readonly method: SignInMethod;
  /** Saves a new flow bound to `binding` and returns the upstream's authorization URL to send the browser to. */
  begin(binding: FlowBinding): Promise<string>;
  /**
   * Turns a successful authorization response (`code`) of a flow already taken from the flow store into
   * the user's profile: code exchange with PKCE, then the upstream's claims. Throws UpstreamFailure.
   */
  complete(flow: UpstreamFlow, response: URLSearchParams): Promise<UpstreamProfile>;
}

/** The redirect URI to register at the upstream. */
export const upstreamCallbackPath = (id: string) => `/interaction/upstream/${id}/callback`;

/** The configured upstreams, Google first, in configuration order. */
export function createUpstreamRegistry(config: ProviderConfig, flows: FlowStore, logger: Logger) {
  const upstreams: Upstream[] = [];
  const callbackUrl = (id: string) => `${config.issuer}${upstreamCallbackPath(id)}`;
  if (config.GOOGLE_CLIENT_ID && config.GOOGLE_CLIENT_SECRET) {
    upstreams.push(
      createGoogleUpstream({
        clientId: config.GOOGLE_CLIENT_ID,
        clientSecret: config.GOOGLE_CLIENT_SECRET,
        authorizationUrl: config.GOOGLE_AUTHORIZATION_URL,
        tokenUrl: config.GOOGLE_TOKEN_URL,
        userinfoUrl: config.GOOGLE_USERINFO_URL,
        callbackUrl: callbackUrl('google'),
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
        flows,
      }),
    );
  }
  for (const settings of config.USHER_OIDC_UPSTREAMS ?? []) {
    upstreams.push(
      createOidcUpstream(settings, {
        callbackUrl: callbackUrl(settings.id),
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
        flows,
        logger,
      }),
    );
  }
  const byId = new Map(upstreams.map((upstream) => [upstream.id, upstream]));
  return {
    list: (): readonly Upstream[] => upstreams,
    get: (id: string | undefined): Upstream | undefined => (id ? byId.get(id) : undefined),
  };
}

export type UpstreamRegistry = ReturnType<typeof createUpstreamRegistry>;
