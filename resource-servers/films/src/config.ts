import { env, loadConfig, resolveDataDir, storeTimeoutSettings } from '@usher/platform';
import { z } from 'zod';

/** Every setting of the films server, with its environment variable name. Nothing else reads process.env. */
export const filmsSettings = z.object({
  FILMS_PORT: env.port(3001),
  HOST: z.string().default('0.0.0.0'),
  /** Where clients reach this server; defaults to http://localhost:FILMS_PORT. */
  FILMS_PUBLIC_URL: env.url().optional(),
  /** This server's resource identifier: tokens must carry it as `aud`. Defaults to the public URL. */
  FILMS_RESOURCE: z.string().min(1).optional(),
  /** The provider's public issuer URL: tokens must carry it as `iss`. */
  PROVIDER_ISSUER: env.url().default('http://localhost:3000'),
  /**
   * Where films reaches the provider for discovery, keys and the revocation feed, when the public
   * issuer does not lead there (inside a container network). Defaults to PROVIDER_ISSUER.
   */
  PROVIDER_INTERNAL_URL: env.url().optional(),
  DATABASE_URL: env.databaseUrl(),
  USHER_DATA_DIR: z.string().optional(),
  REDIS_URL: env.redisUrl(),
  REDIS_PREFIX: z.string().default('usher:'),
  /** The bounds on every call to PostgreSQL and Redis (DATABASE_*_TIMEOUT_MS, REDIS_*_TIMEOUT_MS). */
  ...storeTimeoutSettings,
  LOG_LEVEL: env.logLevel(),
  /**
   * A confidential client of the provider holding `security_events_receive`: with it, films follows
   * the provider's revocation feed (RFC 8936 poll, plus Redis pub/sub when configured) and refuses
   * revoked tokens. Without it, tokens are honoured until they expire (a warning says so at start).
   */
  FILMS_CLIENT_ID: z.string().min(1).optional(),
  FILMS_CLIENT_SECRET: z.string().min(1).optional(),
  /** Where the provider's keys and the revocation events are kept across restarts (default: in the data folder). */
  FILMS_STATE_DIR: z.string().min(1).optional(),
  /** How often the revocation feed is polled. */
  FILMS_EVENTS_POLL_MS: z.coerce.number().int().min(100).default(2000),
  /** Seconds a catalogue answer stays cached. */
  FILMS_CACHE_TTL: env.seconds(300),
  /** Load the generated demo catalogue when the films table is empty (default: on with the embedded database). */
  FILMS_SEED: z
    .enum(['1', '0', 'true', 'false', 'yes', 'no'])
    .optional()
    .transform((value) => (value === undefined ? undefined : value === '1' || value === 'true' || value === 'yes')),
});

export type FilmsSettings = z.infer<typeof filmsSettings>;

export interface FilmsConfig extends FilmsSettings {
  publicUrl: string;
  resource: string;
  issuer: string;
  /** Where the provider is reached: PROVIDER_INTERNAL_URL, else the issuer. */
  providerUrl: string;
  dataDir: string;
  keysCacheDir: string;
  /** Where revocation events are kept across restarts (until the tokens they cover expire). */
  revocationsFile: string;
  seed: boolean;
}

export const databaseSchema = 'films';

export function loadFilmsConfig(source: Record<string, string | undefined> = process.env): FilmsConfig {
  const settings = loadConfig(
    filmsSettings.refine((value) => !value.FILMS_CLIENT_ID === !value.FILMS_CLIENT_SECRET, {
      message: 'set both FILMS_CLIENT_ID and FILMS_CLIENT_SECRET, or neither',
      path: ['FILMS_CLIENT_SECRET'],
    }),
    source,
  );
  const publicUrl = (settings.FILMS_PUBLIC_URL ?? `http://localhost:${settings.FILMS_PORT}`).replace(/\/$/, '');
  const dataDir = resolveDataDir(settings.USHER_DATA_DIR);
  const issuer = settings.PROVIDER_ISSUER.replace(/\/$/, '');
  return Object.freeze({
    ...settings,
    publicUrl,
    resource: settings.FILMS_RESOURCE ?? publicUrl,
    issuer,
    providerUrl: settings.PROVIDER_INTERNAL_URL?.replace(/\/$/, '') ?? issuer,
    dataDir,
    keysCacheDir: settings.FILMS_STATE_DIR ?? `${dataDir}/films-keys`,
    revocationsFile: `${settings.FILMS_STATE_DIR ?? `${dataDir}/films-keys`}/revocations.json`,
    seed: settings.FILMS_SEED ?? !settings.DATABASE_URL,
  });
}
