import { isStoreUnavailable, type Logger } from '@usher/platform';
import Provider, { errors, type Adapter, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { createClaimsCache } from '../access/claims-cache.ts';
import type { AccessStore } from '../access/access-store.ts';
import type { UserStore } from '../accounts/user-store.ts';
import type { ProviderConfig } from '../config.ts';
import type { SigningKey } from '../keys/key-store.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { ResourceStore } from '../resources/resource-store.ts';
import { largeTokenBytes } from '../access/token-size.ts';
import { createCookieSigner } from '../security/cookie-signer.ts';
import * as pages from '../interactions/views/pages.ts';
import type { createAdapterFactory } from './adapter.ts';
import { refuseClientCredentialsToPublicClients } from './confidential-grants.ts';
import { guardProtocolParameters, refuseUnstorableClientIds } from './parameter-guard.ts';
import { opaqueAccessTokenOf, type OpaqueAccessToken } from './opaque-tokens.ts';
import { refreshRotationScope, shouldRotate } from './refresh-rotation.ts';
import { answerStoreOutages } from './store-outages.ts';

export interface OidcDeps {
  config: ProviderConfig;
  keys: SigningKey[];
  cookieSecrets: string[];
  adapter: ReturnType<typeof createAdapterFactory>;
  users: UserStore;
  access: AccessStore;
  resources: ResourceStore;
  logger: Logger;
  metrics: Metrics;
  /**
   * Runs a sign-out confirmation in one transaction: `work` lets oidc-provider end the session, then
   * records which session ended (its tokens must stop working), so both commit or neither does.
   */
  inSessionEnd?: (
    work: (recordEnded: (accountId: string, sessionId: string) => Promise<void>) => Promise<void>,
  ) => Promise<void>;
  /** Revokes a JWT access token (by jti) for the authenticated client; oidc-provider cannot. */
  onJwtRevocation?: (clientId: string, token: string) => Promise<boolean>;
  /** An opaque access token revoked at /token/revocation (oidc-provider has deleted it). */
  onOpaqueRevocation?: (token: OpaqueAccessToken) => Promise<void>;
  /** Answers the introspection of a JWT access token (RFC 7662 members). */
  onJwtIntrospection?: (
    client: { clientId: string; publicClient: boolean },
    token: string,
  ) => Promise<Record<string, unknown>>;
}

const htmlHeaders = (ctx: KoaContextWithOIDC) => {
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
};

function clientName(ctx: KoaContextWithOIDC): string | null {
  const client = ctx.oidc?.client;
  return client ? ((client.clientName as string | undefined) ?? client.clientId) : null;
}

/**
 * oidc-provider looks a client up on every request through the adapter, then hashes the metadata
 * (JSON and SHA-256) to find the Client it built from it. The client store hands out the same
 * metadata object for as long as it caches it, so the Client can be found by that object instead:
 * a change, which makes the store load a new object, still gives a new Client.
 */
function reuseClientInstances(provider: Provider, clients: Adapter) {
  const Client = provider.Client;
  const find = Client.find.bind(Client);
  const built = new WeakMap<object, InstanceType<typeof Client>>();
  Client.find = async (id: string) => {
    const metadata = typeof id === 'string' && id ? await clients.find(id) : undefined;
    const known = metadata && built.get(metadata);
    if (known) return known;
    const client = await find(id);
    if (metadata && client) built.set(metadata, client);
    return client;
  };
}

/**
 * Builds an oidc-provider instance from the current signing keys. oidc-provider reads `jwks` once,
 * at construction, so key rotation builds a new instance (see provider-holder.ts); all protocol state
 * lives in the adapter, so nothing in flight is lost by the swap.
 */
export function createOidcProvider(deps: OidcDeps): Provider {
  const { config, users, access, resources, logger, metrics } = deps;
  const claims = createClaimsCache(access);
  const activeKid = (alg: string) => deps.keys.find((key) => key.alg === alg && key.status === 'active')?.kid;

  async function resourceServerInfo(indicator: string) {
    const known = indicator === config.adminAudience ? { name: 'Usher admin API' } : await resources.find(indicator);
    if (!known) throw new errors.InvalidTarget('unknown resource indicator');
    const kid = activeKid(config.ACCESS_TOKEN_ALG);
    return {
      audience: indicator,
      scope: 'openid profile email offline_access',
      accessTokenTTL: config.ACCESS_TOKEN_TTL,
      accessTokenFormat: 'jwt' as const,
      jwt: { sign: kid ? { alg: config.ACCESS_TOKEN_ALG, kid } : { alg: config.ACCESS_TOKEN_ALG } },
    };
  }

  const configuration: Configuration = {
    adapter: deps.adapter,
    clients: [],
    jwks: { keys: deps.keys.map((key) => key.privateJwk) as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      // Keygrip's interface, signing as Keygrip does; the types only know arrays of secrets.
      keys: createCookieSigner(deps.cookieSecrets) as unknown as string[],
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    extraClientMetadata: {
      properties: ['first_party'],
      validator(_ctx, key, value) {
        if (key === 'first_party' && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata('first_party must be a boolean');
        }
      },
    },
    async findAccount(_ctx, sub) {
      const user = await users.findById(sub);
      if (!user || user.blocked_at) return undefined;
      return {
        accountId: user.id,
        async claims() {
          const name = [user.first_name, user.last_name].filter(Boolean).join(' ');
          return {
            sub: user.id,
            email: user.email,
            email_verified: user.email_verified,
            ...(name ? { name } : {}),
            ...(user.first_name ? { given_name: user.first_name } : {}),
            ...(user.last_name ? { family_name: user.last_name } : {}),
            ...(user.picture ? { picture: user.picture } : {}),
          };
        },
      };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'picture'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Confidential clients (resource servers) may introspect any token; public clients their own.
        allowedPolicy: async (_ctx, client, token) =>
          client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        // RFC 7009: a client revokes only tokens issued to it.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          htmlHeaders(ctx);
          ctx.body = pages.logoutPage({ form, clientName: clientName(ctx) });
        },
        async postLogoutSuccessSource(ctx) {
          htmlHeaders(ctx);
          ctx.body = pages.logoutSuccessPage(clientName(ctx));
        },
      },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        async userCodeInputSource(ctx, form, _out, error) {
          htmlHeaders(ctx);
          let message: string | undefined;
          if (error && ((error as { userCode?: string }).userCode || error.name === 'NoCodeError')) {
            message = 'That code is not valid or has expired. Check the code on your device and try again.';
          } else if (error?.name === 'AbortedError') {
            message = 'The sign-in was cancelled.';
          } else if (error) {
            message = 'Something went wrong. Try again.';
          }
          ctx.body = pages.deviceInputPage({ form, error: message });
        },
        async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
          htmlHeaders(ctx);
          ctx.body = pages.deviceConfirmPage({
            form,
            clientName: (client.clientName as string | undefined) ?? client.clientId,
            userCode,
          });
        },
        async successSource(ctx) {
          htmlHeaders(ctx);
          ctx.body = pages.deviceSuccessPage(clientName(ctx) ?? 'your device');
        },
      },
      resourceIndicators: {
        enabled: true,
        // A token request naming no resource gets an opaque token for userinfo (or, for client
        // credentials, fails: a machine token without an audience is of no use to anyone).
        defaultResource: (_ctx, _client, oneOf) => (oneOf ? oneOf[0]! : undefined) as string,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => resourceServerInfo(indicator),
      },
    },
    pkce: {
      required: (_ctx, client) => client.clientAuthMethod === 'none',
    },
    formats: {
      customizers: {
        // roles, permissions and sid go onto the JWT here rather than through extraTokenClaims:
        // oidc-provider spreads extraTokenClaims' object first into a literal of ten more claims,
        // which V8 builds on a slow path (about 10 µs a token, measured); two assignments to the
        // finished payload cost a fraction of that. Only JWT access tokens carry these claims (an
        // opaque token has no audience: it is for userinfo only).
        async jwt(_ctx, token, jwt) {
          const audience = (token as { resourceServer?: { audience?: string } }).resourceServer?.audience;
          if (!audience) return;
          const { payload } = jwt;
          if (token.kind === 'ClientCredentials') {
            const { roles, permissions } = await claims.forClient(token.clientId!, audience);
            payload.roles = roles;
            payload.permissions = permissions;
            return;
          }
          const { accountId, sessionUid } = token as { accountId?: string; sessionUid?: string };
          if (token.kind === 'AccessToken' && accountId) {
            const { roles, permissions } = await claims.forUser(accountId, audience);
            payload.roles = roles;
            payload.permissions = permissions;
            // `sid` lets resource servers drop the tokens of a session that signed out.
            if (sessionUid) payload.sid = sessionUid;
          }
        },
      },
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Every use rotates, except a retry within the reuse interval, which gets the same successor.
    rotateRefreshToken: () => shouldRotate(),
    ttl: {
      AccessToken: config.ACCESS_TOKEN_TTL,
      ClientCredentials: config.ACCESS_TOKEN_TTL,
      AuthorizationCode: 60,
      IdToken: config.ID_TOKEN_TTL,
      DeviceCode: config.DEVICE_CODE_TTL,
      Interaction: 60 * 60,
      Session: config.SESSION_TTL,
      Grant: config.SESSION_TTL,
      RefreshToken: (ctx, token, client) => {
        // Each rotation starts a new lifetime, except for browser apps (public web clients), whose
        // rotated tokens keep the chain's remaining lifetime, as oidc-provider recommends.
        const rotated = ctx?.oidc?.entities.RotatedRefreshToken;
        if (
          rotated &&
          client.applicationType === 'web' &&
          client.clientAuthMethod === 'none' &&
          !token.isSenderConstrained()
        ) {
          return rotated.remainingTTL;
        }
        return config.REFRESH_TOKEN_TTL;
      },
    },
    async renderError(ctx, out, error) {
      htmlHeaders(ctx);
      const description =
        (out as { error_description?: string }).error_description ?? 'The request could not be processed.';
      ctx.body = pages.errorPage({
        title: 'Sign-in could not continue',
        message: description,
        requestId: ctx.get('x-request-id') || undefined,
      });
      // A store outage is answered (and logged) by answerStoreOutages.
      const status = (error as { status?: number }).status;
      if ((status === undefined || status >= 500) && !isStoreUnavailable(error)) {
        logger.error({ err: error }, 'oidc-provider error page');
      }
    },
    clientBasedCORS: () => true,
    conformIdTokenClaims: true,
    enabledJWA: {
      authorizationSigningAlgValues: ['RS256', 'ES256', 'PS256', 'EdDSA'],
      idTokenSigningAlgValues: ['RS256', 'ES256', 'PS256', 'EdDSA'],
      userinfoSigningAlgValues: ['RS256', 'ES256', 'PS256', 'EdDSA'],
      introspectionSigningAlgValues: ['RS256', 'ES256', 'PS256', 'EdDSA'],
    },
  };

  /**
   * Warns about an access token over 4 KB, measured on the token endpoint's answer: the exact size,
   * at the cost of a length check (every JWT access token is issued there).
   */
  function warnIfLarge(ctx: KoaContextWithOIDC) {
    const token = (ctx.body as { access_token?: unknown } | undefined)?.access_token;
    if (typeof token !== 'string' || token.length <= largeTokenBytes) return;
    const issued = ctx.oidc.entities.AccessToken ?? ctx.oidc.entities.ClientCredentials;
    metrics.largeTokens.inc();
    logger.warn(
      {
        client_id: ctx.oidc.client?.clientId,
        sub: (issued as { accountId?: string } | undefined)?.accountId ?? ctx.oidc.client?.clientId,
        aud: (issued as { resourceServer?: { audience?: string } } | undefined)?.resourceServer?.audience,
        bytes: token.length,
      },
      'access token exceeds 4 KB; consider fewer roles or audience-specific permissions',
    );
  }

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.TRUST_PROXY;
  reuseClientInstances(provider, deps.adapter('Client'));
  // First, so that it sits around every other middleware and route.
  answerStoreOutages(provider, logger);
  refuseClientCredentialsToPublicClients(provider);
  refuseUnstorableClientIds(provider, logger);
  provider.use(guardProtocolParameters({ issuer: config.issuer, logger, renderError: configuration.renderError! }));
  provider.use(refreshRotationScope(config.REFRESH_TOKEN_REUSE_INTERVAL, logger));

  // oidc-provider refuses JWTs at the revocation and introspection endpoints (after authenticating
  // the client) with unsupported_token_type; we revoke them through the revocation feed and answer
  // 200 (RFC 7009), and introspect them ourselves (RFC 7662).
  // Its routes answer their own errors, so the refusal is rewritten here, before Koa responds.
  provider.use(async (ctx, next) => {
    if (deps.inSessionEnd && ctx.method === 'POST' && /^\/session\/end\/confirm\/?$/.test(ctx.path)) {
      // A completed sign-out: the session's end and its revocation event commit together.
      await deps.inSessionEnd(async (recordEnded) => {
        await next();
        const { oidc } = ctx as KoaContextWithOIDC;
        const session = oidc?.session as { accountId?: string; uid?: string; destroyed?: boolean } | undefined;
        if (oidc?.route === 'end_session_confirm' && session?.destroyed && session.accountId && session.uid) {
          await recordEnded(session.accountId, session.uid);
        }
      });
    } else {
      await next();
    }
    const { oidc } = ctx as KoaContextWithOIDC;
    if (oidc?.route === 'token') warnIfLarge(ctx as KoaContextWithOIDC);
    const refused = (ctx.body as { error?: string } | undefined)?.error === 'unsupported_token_type';
    if (oidc?.route === 'revocation' && ctx.status === 400 && refused && oidc.client && deps.onJwtRevocation) {
      await deps.onJwtRevocation(oidc.client.clientId, String(oidc.params?.token ?? ''));
      ctx.status = 200;
      ctx.body = '';
    }
    if (oidc?.route === 'revocation' && ctx.status === 200 && deps.onOpaqueRevocation) {
      // 200 whether or not it revoked (RFC 7009): a token gone from the store is what was revoked.
      const token = oidc.entities.AccessToken;
      if (token && !(await oidc.provider.AccessToken.find(token.jti))) {
        await deps.onOpaqueRevocation(opaqueAccessTokenOf(token));
      }
    }
    // The same refusal at the introspection endpoint: JWT access tokens are answered from their
    // signature and the revocation feed instead (RFC 7662).
    if (oidc?.route === 'introspection' && ctx.status === 400 && refused && oidc.client && deps.onJwtIntrospection) {
      const client = { clientId: oidc.client.clientId, publicClient: oidc.client.clientAuthMethod === 'none' };
      ctx.body = await deps.onJwtIntrospection(client, String(oidc.params?.token ?? ''));
      ctx.status = 200;
      ctx.set('Cache-Control', 'no-store');
    }
  });
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    metrics.tokens.inc({ grant_type: String(ctx.oidc.params?.grant_type ?? 'unknown') });
  });
  for (const event of [
    'grant.error',
    'authorization.error',
    'introspection.error',
    'revocation.error',
    'userinfo.error',
    'end_session.error',
    'server_error',
  ] as const) {
    (provider.on as (name: string, listener: (...args: never[]) => void) => void)(
      event,
      (_ctx: unknown, error: Error & { error?: string }) => {
        if (event === 'server_error' && isStoreUnavailable(error)) {
          metrics.errors.inc({ kind: event, error: 'temporarily_unavailable' });
          return; // answered and logged by answerStoreOutages
        }
        metrics.errors.inc({ kind: event, error: error.error ?? error.name });
        if (event === 'server_error') logger.error({ err: error }, 'oidc-provider server error');
        else logger.debug({ err: { name: error.name, message: error.message } }, event);
      },
    );
  }
  return provider;
}
