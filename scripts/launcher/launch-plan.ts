/**
 * What each process of one `npm start` gets: its port, its public URL and its environment, made
 * from the manifest and the launcher's settings. Pure, so the wiring between services (who learns
 * whose URL, which resource servers the provider registers) reads in one place.
 */
import { randomBytes } from 'node:crypto';
import type { LaunchContext, ServiceEntry } from '../../services.ts';
import type { LauncherSettings } from './launcher-settings.ts';

export interface PlannedService {
  name: string;
  entry: string;
  port: number;
  /** Where clients reach it (printed once everything is ready). */
  url: string;
  /** Probed on the loopback interface, whatever the public URL says. */
  readinessUrl: string;
  /** Set on top of the launcher's own environment. */
  env: Record<string, string>;
  prepare?: () => Promise<string | undefined>;
}

/** A feed client's secret: it lives only in the provider's and its service's environments, for this start. */
const freshSecret = () => randomBytes(24).toString('base64url');

export function planLaunch(
  services: readonly ServiceEntry[],
  settings: LauncherSettings,
  makeSecret: () => string = freshSecret,
): PlannedService[] {
  const port = (service: ServiceEntry) => Number(settings.services[service.port.setting] ?? service.port.default);
  const urls = new Map(
    services.map((service) => [
      service.name,
      String(settings.services[service.publicUrlSetting] ?? `http://localhost:${port(service)}`),
    ]),
  );
  const url = (name: string) => {
    const found = urls.get(name);
    if (found === undefined) throw new Error(`services.ts: no service named "${name}"`);
    return found;
  };
  const resourceServers = services.flatMap((service) => {
    if (!service.resourceServer) return [];
    const { name, resourceSetting, feedClient } = service.resourceServer;
    const resource = String(settings.services[resourceSetting] ?? url(service.name));
    return [{ service, name, resourceSetting, resource, feedClient, secret: makeSecret() }];
  });
  const context: LaunchContext = {
    url,
    resourceServers: [
      settings.USHER_RESOURCE_SERVERS,
      ...resourceServers.map(({ name, resource }) => `${name}=${resource}`),
    ]
      .filter(Boolean)
      .join(','),
    eventReceivers: [
      settings.USHER_EVENT_RECEIVERS,
      ...resourceServers.map(({ feedClient, secret }) => `${feedClient.id}:${secret}`),
    ]
      .filter(Boolean)
      .join(','),
  };
  return services.map((service) => {
    const own = resourceServers.find((server) => server.service === service);
    const env: Record<string, string> = {
      [service.port.setting]: String(port(service)),
      [service.publicUrlSetting]: url(service.name),
      ...(own && {
        [own.resourceSetting]: own.resource,
        [own.feedClient.idSetting]: own.feedClient.id,
        [own.feedClient.secretSetting]: own.secret,
      }),
      ...service.launchEnv?.(context),
    };
    return {
      name: service.name,
      entry: service.entry,
      port: port(service),
      url: url(service.name),
      readinessUrl: `http://127.0.0.1:${port(service)}${service.readiness}`,
      env,
      ...(service.prepare && { prepare: service.prepare }),
    };
  });
}
