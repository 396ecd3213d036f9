import { env, loadConfig, resolveDataDir } from '@usher/platform';
import { z } from 'zod';

/** Every setting of the films server, with its environment variable name. Nothing else reads process.env. */
export const filmsSettings = z.object({
  FILMS_PORT: env.port(3001),
  HOST: z.string().default('0.0.0.0'),
  /** Where clients reach this server; defaults to http://localhost:FILMS_PORT. */
  FILMS_PUBLIC_URL: env.url().optional(),
  /** This server's resource identifier: tokens must carry it as `aud`. Defaults to the public URL. */
  FILMS_RESOURCE: z.string().min(1).optional(),
  /** The provider's issuer URL (discovery and keys are fetched from it). */
  PROVIDER_ISSUER: env.url().default('http://localhost:3000'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  USHER_DATA_DIR: z.string().optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  REDIS_PREFIX: z.string().default('usher:'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
  dataDir: string;
  keysCacheDir: string;
  seed: boolean;
}

export const databaseSchema = 'films';

export function loadFilmsConfig(source: Record<string, string | undefined> = process.env): FilmsConfig {
  const settings = loadConfig(filmsSettings, source);
  const publicUrl = (settings.FILMS_PUBLIC_URL ?? `http://localhost:${settings.FILMS_PORT}`).replace(/\/$/, '');
  const dataDir = resolveDataDir(settings.USHER_DATA_DIR);
  return Object.freeze({
    ...settings,
    publicUrl,
    resource: settings.FILMS_RESOURCE ?? publicUrl,
    issuer: settings.PROVIDER_ISSUER.replace(/\/$/, ''),
    dataDir,
    keysCacheDir: `${dataDir}/films-keys`,
    seed: settings.FILMS_SEED ?? !settings.DATABASE_URL,
  });
}
