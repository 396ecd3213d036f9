import path from 'node:path';
import { env, loadConfig } from '@usher/platform';
import { z } from 'zod';

/** Every setting of the admin UI server, with its environment variable name. Nothing else reads process.env. */
export const uiSettings = z.object({
  ADMIN_UI_PORT: env.port(3004),
  HOST: z.string().default('0.0.0.0'),
  /** Where browsers reach the UI; the provider must list <this>/callback. Defaults to http://localhost:PORT. */
  ADMIN_UI_PUBLIC_URL: env.url().optional(),
  /** The provider's issuer URL: sign-in, tokens and the admin API. */
  PROVIDER_ISSUER: env.url().default('http://localhost:3000'),
  /** The UI's public client at the provider (registered on start when USHER_ADMIN_UI_URL is set there). */
  ADMIN_UI_CLIENT_ID: z.string().min(1).default('usher-admin'),
  /** The built app (vite build). */
  ADMIN_UI_DIST_DIR: z.string().optional(),
  LOG_LEVEL: env.logLevel(),
  /** `json` or `pretty`; unset: pretty at a terminal, JSON otherwise. */
  LOG_FORMAT: env.logFormat(),
});

export type UiSettings = z.infer<typeof uiSettings>;

export interface UiConfig extends UiSettings {
  issuer: string;
  publicUrl: string;
  /** The admin API's resource identifier (CONTRACTS.md 1.4): issuer + /api. */
  adminAudience: string;
  distDir: string;
}

export const defaultDistDir = path.resolve(import.meta.dirname, '..', 'dist');

export function loadUiConfig(source: Record<string, string | undefined> = process.env): UiConfig {
  const settings = loadConfig(uiSettings, source);
  const issuer = settings.PROVIDER_ISSUER.replace(/\/$/, '');
  return Object.freeze({
    ...settings,
    issuer,
    publicUrl: (settings.ADMIN_UI_PUBLIC_URL ?? `http://localhost:${settings.ADMIN_UI_PORT}`).replace(/\/$/, ''),
    adminAudience: `${issuer}/api`,
    distDir: settings.ADMIN_UI_DIST_DIR ? path.resolve(settings.ADMIN_UI_DIST_DIR) : defaultDistDir,
  });
}
