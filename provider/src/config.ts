import { ConfigError, env, loadConfig, resolveDataDir, storeTimeoutSettings } from '@usher/platform';
import { z } from 'zod';

const algorithms = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;

/** One generic OpenID Connect upstream; its `id` names it in the callback URL and in linked identities. */
const oidcUpstreamSettings = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 of a-z, 0-9 and -'),
  name: z.string().trim().min(1).max(60),
  issuer: env.url(),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
});

export type OidcUpstreamSettings = z.infer<typeof oidcUpstreamSettings>;

/** Every setting of the provider, with its environment variable name. Nothing else reads process.env. */
export const providerSettings = z.object({
  PORT: env.port(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Public URL of the provider; tokens carry it as `iss`. Defaults to http://localhost:PORT. */
  ISSUER: env.url().optional(),
  DATABASE_URL: env.databaseUrl(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('provider'),
  /** false behind a transaction-pooling PgBouncer older than 1.21: hot queries then run unnamed. */
  DATABASE_PREPARED_STATEMENTS: env.boolean(true),
  USHER_DATA_DIR: z.string().optional(),
  REDIS_URL: env.redisUrl(),
  REDIS_PREFIX: z.string().default('usher:'),
  /** The bounds on every call to PostgreSQL and Redis (DATABASE_*_TIMEOUT_MS, REDIS_*_TIMEOUT_MS). */
  ...storeTimeoutSettings,
  LOG_LEVEL: env.logLevel(),
  /** `json` or `pretty`; unset: pretty at a terminal, JSON otherwise. */
  LOG_FORMAT: env.logFormat(),
  METRICS_TOKEN: env.metricsToken(),
  ACCESS_TOKEN_TTL: env.seconds(30 * 60),
  REFRESH_TOKEN_TTL: env.seconds(24 * 60 * 60),
  /**
   * Seconds after a rotation during which the previous refresh token, presented again, is answered
   * with the same successor instead of revoking the grant (a client that lost the answer); 0 = off.
   */
  REFRESH_TOKEN_REUSE_INTERVAL: z.coerce
    .number()
    .int()
    .min(0)
    .max(300, 'must be at most 300: a longer interval undoes what rotation protects')
    .default(30),
  ID_TOKEN_TTL: env.seconds(60 * 60),
  SESSION_TTL: env.seconds(14 * 24 * 60 * 60),
  DEVICE_CODE_TTL: env.seconds(10 * 60),
  /** Algorithm of JWT access tokens (ID tokens are always RS256, as OpenID Connect requires). */
  ACCESS_TOKEN_ALG: z.enum(algorithms).default('ES256'),
  /** Encrypts private signing keys and client secrets at rest when set (32+ characters). */
  KEY_ENCRYPTION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Comma-separated cookie signing secrets, newest first; generated and stored when unset. */
  COOKIE_SECRETS: env.list().optional(),
  /** How often each instance checks the keys table for a rotation; at most 5 s, the promised delay. */
  KEY_POLL_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(5000, 'must be at most 5000: every instance follows a key rotation within 5 s')
    .default(2000),
  /** Requests per minute per IP on the token endpoint for refresh_token grants. */
  RATE_LIMIT_REFRESH_PER_MINUTE: z.coerce.number().int().min(0).default(120),
  /** Failed sign-ins per account (15 minutes) before it is locked out for the rest of the window. */
  RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(0).default(10),
  /** Failed sign-ins per IP per hour. */
  RATE_LIMIT_SIGNIN_FAILURES_PER_IP: z.coerce.number().int().min(0).default(100),
  /** Registrations per IP per hour. */
  RATE_LIMIT_REGISTRATIONS_PER_IP: z.coerce.number().int().min(0).default(20),
  /** Password changes per account per hour. */
  RATE_LIMIT_PASSWORD_CHANGES_PER_ACCOUNT: z.coerce.number().int().min(0).default(10),
  /**
   * Failed sign-ins per device cookie (15 minutes). A browser that signed in to an account before
   * keeps this budget of its own, so failures from elsewhere cannot lock its owner out; 0 turns
   * device cookies off (every browser then shares the account's budget).
   */
  RATE_LIMIT_SIGNIN_FAILURES_PER_DEVICE: z.coerce.number().int().min(0).default(10),
  /** Changes of their own email a signed-in user may attempt per hour (taken or not). */
  RATE_LIMIT_EMAIL_CHANGES_PER_ACCOUNT: z.coerce.number().int().min(0).default(5),
  /**
   * Failed client authentications (token, introspection, revocation, PAR and device endpoints) per
   * client id (15 minutes) and per IP (1 hour) before further attempts are refused with 429.
   */
  RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_CLIENT: z.coerce.number().int().min(0).default(20),
  RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_IP: z.coerce.number().int().min(0).default(100),
  /** Trust X-Forwarded-* headers (behind a reverse proxy). */
  TRUST_PROXY: env.boolean(false),
  /**
   * Resource servers to register on start, as comma-separated `Name=URI` pairs (for example
   * `Films=http://localhost:3001`); `npm start` passes the services it launches.
   */
  USHER_RESOURCE_SERVERS: env
    .pairs('=', (_name, uri) => (/^https?:\/\/[^\s#]+$/.test(uri) ? null : 'must be Name=http(s)://uri'))
    .transform((items) => items.map(({ key, value }) => ({ name: key, identifier: value })))
    .optional(),
  /**
   * Receivers of the revocation feed to register on start, as comma-separated `client_id:secret`
   * pairs; each becomes a client-credentials client holding `security_events_receive`. `npm start`
   * passes one for each resource server it launches.
   */
  USHER_EVENT_RECEIVERS: env
    .pairs(':', (_clientId, secret) =>
      secret.length >= 16 ? null : 'must be client_id:secret, a secret of 16+ characters',
    )
    .transform((items) => items.map(({ key, value }) => ({ clientId: key, secret: value })))
    .optional(),
  USHER_ADMIN_EMAIL: z.email().optional(),
  USHER_ADMIN_PASSWORD: z.string().min(8).optional(),
  /**
   * Where the admin UI is served (e.g. http://localhost:3004; `npm start` passes it). When set, the
   * provider registers the UI's public client `usher-admin` on start and lets that origin call the
   * admin API from the browser (CORS).
   */
  USHER_ADMIN_UI_URL: env.url().optional(),
  /** "Sign in with Google": the OAuth client of the Google Cloud project (both or neither). */
  GOOGLE_CLIENT_ID: z.string().optional(),
  GOOGLE_CLIENT_SECRET: z.string().optional(),
  /** Google's endpoints; tests point them at a local stand-in. */
  GOOGLE_AUTHORIZATION_URL: env.url().default('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_TOKEN_URL: env.url().default('https://oauth2.googleapis.com/token'),
  GOOGLE_USERINFO_URL: env.url().default('https://openidconnect.googleapis.com/v1/userinfo'),
  /**
   * Generic OpenID Connect upstreams, as a JSON array of
   * `{"id", "name", "issuer", "client_id", "client_secret"}`; each gets a sign-in button.
   */
  USHER_OIDC_UPSTREAMS: z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of upstreams' });
        return z.NEVER;
      }
    })
    .pipe(z.array(oidcUpstreamSettings))
    .superRefine((upstreams, ctx) => {
      const ids = upstreams.map((upstream) => upstream.id);
      ids.forEach((id, index) => {
        if (id === 'google' || ids.indexOf(id) !== index) {
          ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `id "${id}" is reserved or used twice` });
        }
      });
    })
    .optional(),
  /** Time limit of each call to an upstream identity provider (discovery, token, userinfo). */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
});

export type ProviderSettings = z.infer<typeof providerSettings>;

export interface ProviderConfig extends ProviderSettings {
  issuer: string;
  dataDir: string;
  /** The provider's own admin API audience: issuer + /api. */
  adminAudience: string;
}

/** Checks across variables, named after the variable to fix. */
function crossCheck(settings: ProviderSettings): string[] {
  const problems: string[] = [];
  if (Boolean(settings.GOOGLE_CLIENT_ID) !== Boolean(settings.GOOGLE_CLIENT_SECRET)) {
    problems.push('GOOGLE_CLIENT_SECRET: GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are set together or not at all');
  }
  // Google's token and userinfo calls share one HTTP agent (passport's OAuth client has one).
  if (new URL(settings.GOOGLE_TOKEN_URL).protocol !== new URL(settings.GOOGLE_USERINFO_URL).protocol) {
    problems.push('GOOGLE_USERINFO_URL: must use the same scheme (http or https) as GOOGLE_TOKEN_URL');
  }
  return problems;
}

export function loadProviderConfig(source: Record<string, string | undefined> = process.env): ProviderConfig {
  const settings = loadConfig(providerSettings, source);
  const problems = crossCheck(settings);
  if (problems.length) throw new ConfigError(problems);
  const issuer = (settings.ISSUER ?? `http://localhost:${settings.PORT}`).replace(/\/$/, '');
  return Object.freeze({
    ...settings,
    issuer,
    dataDir: resolveDataDir(settings.USHER_DATA_DIR),
    adminAudience: `${issuer}/api`,
  });
}
