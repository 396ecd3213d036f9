import { resourceServerConfig, resourceServerSettings, type ResourceServerConfig } from '@usher/kit';
import { env, loadConfig, storeTimeoutSettings } from '@usher/platform';
import { z } from 'zod';

/** Every setting of the films server, with its environment variable name. Nothing else reads process.env. */
export const filmsSettings = z.object({
  // FILMS_PORT, FILMS_PUBLIC_URL, FILMS_RESOURCE, FILMS_CLIENT_ID/SECRET, FILMS_STATE_DIR,
  // FILMS_EVENTS_POLL_MS, HOST, PROVIDER_ISSUER, PROVIDER_INTERNAL_URL, USHER_DATA_DIR.
  ...resourceServerSettings('FILMS', { port: 3001 }),
  DATABASE_URL: env.databaseUrl(),
  REDIS_URL: env.redisUrl(),
  REDIS_PREFIX: z.string().default('usher:'),
  /** The bounds on every call to PostgreSQL and Redis (DATABASE_*_TIMEOUT_MS, REDIS_*_TIMEOUT_MS). */
  ...storeTimeoutSettings,
  LOG_LEVEL: env.logLevel(),
  LOG_FORMAT: env.logFormat(),
  /** Seconds a catalogue answer stays cached. */
  FILMS_CACHE_TTL: env.seconds(300),
  /** Load the generated demo catalogue when the films table is empty (default: on with the embedded database). */
  FILMS_SEED: z
    .enum(['1', '0', 'true', 'false', 'yes', 'no'])
    .optional()
    .transform((value) => (value === undefined ? undefined : value === '1' || value === 'true' || value === 'yes')),
});

export type FilmsSettings = z.infer<typeof filmsSettings>;

export interface FilmsConfig extends FilmsSettings, ResourceServerConfig {
  seed: boolean;
}

export const databaseSchema = 'films';

export function loadFilmsConfig(source: Record<string, string | undefined> = process.env): FilmsConfig {
  const settings = loadConfig(filmsSettings, source);
  return Object.freeze({
    ...settings,
    ...resourceServerConfig('FILMS', settings),
    seed: settings.FILMS_SEED ?? !settings.DATABASE_URL,
  });
}
