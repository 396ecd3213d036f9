import { resourceServerConfig, resourceServerSettings, type ResourceServerConfig } from '@usher/kit';
import { env, loadConfig } from '@usher/platform';
import { z } from 'zod';

/** Every setting of the hello service; nothing else reads process.env. */
export const helloSettings = z.object({
  // HELLO_PORT, HELLO_PUBLIC_URL, HELLO_RESOURCE, HELLO_CLIENT_ID/SECRET, HELLO_STATE_DIR,
  // HELLO_EVENTS_POLL_MS, HOST, PROVIDER_ISSUER, PROVIDER_INTERNAL_URL, USHER_DATA_DIR.
  ...resourceServerSettings('HELLO', { port: 3009 }),
  REDIS_URL: env.redisUrl(),
  REDIS_PREFIX: z.string().default('usher:'),
  LOG_LEVEL: env.logLevel(),
  LOG_FORMAT: env.logFormat(),
});

export type HelloConfig = z.infer<typeof helloSettings> & ResourceServerConfig;

export function loadHelloConfig(source: Record<string, string | undefined> = process.env): HelloConfig {
  const settings = loadConfig(helloSettings, source);
  return Object.freeze({ ...settings, ...resourceServerConfig('HELLO', settings) });
}
