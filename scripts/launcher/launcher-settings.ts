/**
 * The launcher's settings: its own, plus each service's port, public URL and resource identifier as
 * the manifest names them, read once with the same loader the services use.
 */
import { z } from 'zod';
import { env, loadConfig } from '../../platform/src/index.ts';
import type { ServiceEntry } from '../../services.ts';

const launcherOwn = z.object({
  DATABASE_URL: z.string().optional(),
  USHER_DATA_DIR: z.string().optional(),
  /** Resource servers and feed receivers beyond the launched ones, passed on to the provider. */
  USHER_RESOURCE_SERVERS: z.string().optional(),
  USHER_EVENT_RECEIVERS: z.string().optional(),
  /** Unset: pretty lines for a person at a terminal, JSON otherwise. */
  LOG_FORMAT: env.logFormat(),
  /** https://no-color.org: any value turns colours off. */
  NO_COLOR: z.string().optional(),
});

export type LauncherOwnSettings = z.infer<typeof launcherOwn>;

export interface LauncherSettings extends LauncherOwnSettings {
  /** Every setting the manifest names (ports as numbers, URLs as given), by variable name. */
  services: Readonly<Record<string, string | number | undefined>>;
}

/** Reads the launcher's settings for these services; a bad value throws the loader's ConfigError. */
export function loadLauncherSettings(
  services: readonly ServiceEntry[],
  source: Record<string, string | undefined> = process.env,
): LauncherSettings {
  const perService: Record<string, z.ZodType> = {};
  for (const service of services) {
    perService[service.port.setting] = env.port(service.port.default);
    perService[service.publicUrlSetting] = z.string().optional();
    if (service.resourceServer) perService[service.resourceServer.resourceSetting] = z.string().optional();
  }
  const own = loadConfig(launcherOwn, source);
  const named = loadConfig(z.object(perService), source) as Record<string, string | number | undefined>;
  return Object.freeze({ ...own, services: named });
}
