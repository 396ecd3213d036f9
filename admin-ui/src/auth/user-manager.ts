import { UserManager, WebStorageStateStore, type SigninSilentArgs, type User } from 'oidc-client-ts';
import type { RuntimeConfig } from '../config/runtime-config.ts';

/**
 * oidc-client-ts's UserManager for the admin UI: authorization code + PKCE as the public client,
 * asking for an access token for the admin API (RFC 8707 `resource`) at the authorization, code
 * exchange and every refresh. Silent renewal uses the refresh token (no iframe: the provider
 * forbids framing), so automaticSilentRenew goes through signinSilent, which names the resource.
 */
class AdminUserManager extends UserManager {
  private renewal: Promise<User | null> | null = null;

  constructor(
    settings: ConstructorParameters<typeof UserManager>[0],
    private readonly audience: string,
  ) {
    super(settings);
  }

  /**
   * Renewals asked for while one runs (API calls refused together, the renewal timer) share it: the
   * provider rotates refresh tokens, and a second use of the old one revokes the whole grant.
   */
  override signinSilent(args: SigninSilentArgs = {}): Promise<User | null> {
    this.renewal ??= super.signinSilent({ resource: this.audience, ...args }).finally(() => {
      this.renewal = null;
    });
    return this.renewal;
  }
}

export function createUserManager(config: RuntimeConfig, origin: string = window.location.origin): UserManager {
  return new AdminUserManager(
    {
      authority: config.issuer,
      client_id: config.clientId,
      redirect_uri: `${origin}/callback`,
      post_logout_redirect_uri: `${origin}/`,
      response_type: 'code',
      scope: 'openid profile email offline_access',
      resource: config.adminAudience,
      extraTokenParams: { resource: config.adminAudience },
      // The access token is for the admin API, so it cannot read userinfo: the ID token has the profile.
      loadUserInfo: false,
      automaticSilentRenew: true,
      // Tokens live in this tab only, and go with it.
      userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    },
    config.adminAudience,
  );
}
