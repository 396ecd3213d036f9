import { ConfigError, env, resolveDataDir } from '@usher/platform';
import { z } from 'zod';

/** The settings every resource server names with its own prefix (FILMS_PORT, FILES_PORT, ...). */
const prefixedFields = (defaultPort: number) => ({
  PORT: env.port(defaultPort),
  /** Where clients reach this server; defaults to http://localhost:<PORT>. */
  PUBLIC_URL: env.url().optional(),
  /** This server's resource identifier: tokens must carry it as `aud`. Defaults to the public URL. */
  RESOURCE: z.string().min(1).optional(),
  /**
   * A confidential client of the provider holding `security_events_receive`: with it, the server
   * follows the provider's revocation feed (RFC 8936 poll, plus Redis pub/sub when configured) and
   * refuses revoked tokens. Without it, tokens are honoured until they expire (a warning says so).
   */
  CLIENT_ID: z.string().min(1).optional(),
  CLIENT_SECRET: z.string().min(1).optional(),
  /** Where the provider's keys and the revocation events are kept across restarts (default: in the data folder). */
  STATE_DIR: z.string().min(1).optional(),
  /** How often the revocation feed is polled. */
  EVENTS_POLL_MS: z.coerce.number().int().min(100).default(2000),
});

type PrefixedFields = ReturnType<typeof prefixedFields>;
type Prefixed<P extends string> = { [K in keyof PrefixedFields as `${P}_${K}`]: PrefixedFields[K] };

const sharedFields = {
  HOST: z.string().default('0.0.0.0'),
  /** The provider's public issuer URL: tokens must carry it as `iss`, and its discovery must name it. */
  PROVIDER_ISSUER: env.url().default('http://localhost:3000'),
  /**
   * Where this server reaches the provider (discovery, keys, revocation feed) when the public issuer
   * does not lead there, as inside a container network. Defaults to PROVIDER_ISSUER.
   */
  PROVIDER_INTERNAL_URL: env.url().optional(),
  USHER_DATA_DIR: z.string().optional(),
  METRICS_TOKEN: env.metricsToken(),
};

export type ResourceServerFields<P extends string> = typeof sharedFields & Prefixed<P>;

/**
 * The settings fragment (a zod shape, keys are the environment variables) every resource server
 * spreads into its own settings: `z.object({ ...resourceServerSettings('FILMS', { port: 3001 }), ... })`.
 */
export function resourceServerSettings<const P extends string>(
  prefix: P,
  defaults: { port: number },
): ResourceServerFields<P> {
  const own = Object.fromEntries(
    Object.entries(prefixedFields(defaults.port)).map(([name, schema]) => [`${prefix}_${name}`, schema]),
  ) as Prefixed<P>;
  return { ...sharedFields, ...own };
}

/** The fragment once loaded: the shared settings by name, the prefixed ones read by `resourceServerConfig`. */
export type ResourceServerSettings = z.infer<z.ZodObject<typeof sharedFields>> & Record<string, unknown>;

/** The revocation feed's client, when the server follows it. */
export interface FeedSettings {
  clientId: string;
  clientSecret: string;
  pollIntervalMs: number;
}

/** What the kit derives from the fragment: where the server listens and whom it trusts. */
export interface ResourceServerConfig {
  /** The settings' prefix (`FILMS`), for messages that name a variable. */
  prefix: string;
  port: number;
  host: string;
  publicUrl: string;
  /** The token audience (`aud`) this server accepts. */
  resource: string;
  /** The provider's public issuer (`iss`). */
  issuer: string;
  /** Where the provider is reached: PROVIDER_INTERNAL_URL, else the issuer. */
  providerUrl: string;
  /** The data folder (USHER_DATA_DIR, default `.data/`). */
  dataDir: string;
  /** The provider's last good keys, kept across restarts. */
  keysCacheDir: string;
  /** Revocation events, kept across restarts until the tokens they cover expire. */
  revocationsFile: string;
  /** Null when no client is set: revoked tokens are then honoured until they expire. */
  feed: FeedSettings | null;
  /** The bearer token /metrics asks for; undefined: callers on this host only. */
  metricsToken: string | undefined;
}

const trimSlash = (url: string) => url.replace(/\/$/, '');

/**
 * The derived values of a loaded fragment. A client id without its secret (or the reverse) is a
 * ConfigError naming the variable.
 */
export function resourceServerConfig(prefix: string, settings: ResourceServerSettings): ResourceServerConfig {
  // Their types were checked by the fragment's schema when the settings were loaded.
  const read = <T>(name: keyof PrefixedFields) => settings[`${prefix}_${name}`] as T;
  const clientId = read<string | undefined>('CLIENT_ID');
  const clientSecret = read<string | undefined>('CLIENT_SECRET');
  if (!clientId !== !clientSecret) {
    throw new ConfigError([
      `${prefix}_CLIENT_SECRET: set both ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET, or neither`,
    ]);
  }
  const port = read<number>('PORT');
  const publicUrl = trimSlash(read<string | undefined>('PUBLIC_URL') ?? `http://localhost:${port}`);
  const issuer = trimSlash(settings.PROVIDER_ISSUER);
  const dataDir = resolveDataDir(settings.USHER_DATA_DIR);
  const stateDir = read<string | undefined>('STATE_DIR') ?? `${dataDir}/${prefix.toLowerCase()}-keys`;
  return {
    prefix,
    port,
    host: settings.HOST,
    publicUrl,
    resource: read<string | undefined>('RESOURCE') ?? publicUrl,
    issuer,
    providerUrl: settings.PROVIDER_INTERNAL_URL ? trimSlash(settings.PROVIDER_INTERNAL_URL) : issuer,
    dataDir,
    keysCacheDir: stateDir,
    revocationsFile: `${stateDir}/revocations.json`,
    metricsToken: settings.METRICS_TOKEN,
    feed: clientId && clientSecret ? { clientId, clientSecret, pollIntervalMs: read<number>('EVENTS_POLL_MS') } : null,
  };
}
