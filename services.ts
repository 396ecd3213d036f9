/**
 * The service manifest: every server of Usher, in one list. `scripts/start.ts` launches and
 * supervises them, `knexfile.ts` and `scripts/migrate.ts` migrate their schemas, and
 * `test/deployment.test.ts` holds docker-compose.yml and the Dockerfiles against it. Adding a
 * service is one entry here plus its folder; the root README's "Adding a service" says the rest.
 */

/** What the launcher knows of the start in progress: the settings a service takes from the others. */
export interface LaunchContext {
  /** Where a service of this manifest is reached: its public URL setting, else http://localhost:<port>. */
  url(service: string): string;
  /** `Name=resource` of every resource server (and any the user listed): the provider registers them. */
  resourceServers: string;
  /** `client_id:secret` of every resource server's feed client (and any the user listed), made per start. */
  eventReceivers: string;
}

/** A server that accepts the provider's access tokens (the kit's settings name these variables). */
export interface ResourceServerEntry {
  /** Its name at the provider: `<name>=<resource>` in the provider's USHER_RESOURCE_SERVERS. */
  name: string;
  /** The setting holding its resource identifier, tokens' `aud` (default: its public URL). */
  resourceSetting: string;
  /**
   * The client it follows the revocation feed with: the provider registers it on start
   * (USHER_EVENT_RECEIVERS); `npm start` makes its secret afresh on every start.
   */
  feedClient: { id: string; idSetting: string; secretSetting: string };
}

export interface ServiceEntry {
  /** As the launcher's console prints it and docker-compose.yml names it. */
  name: string;
  /** The process's main module, relative to the repository root (its image's CMD runs the same file). */
  entry: string;
  /** The setting it listens on, and its default (also the port its image exposes). */
  port: { setting: string; default: number };
  /** The setting holding the URL clients reach it at (default http://localhost:<port>). */
  publicUrlSetting: string;
  /** Its PostgreSQL schema, for a service with a database: migrations live in migrations/<schema>/. */
  schema?: string;
  /** Set for a resource server: registered with the provider, and a follower of its revocation feed. */
  resourceServer?: ResourceServerEntry;
  /** What else it needs from the launcher, beyond its port, public URL and resource-server settings. */
  launchEnv?: (launch: LaunchContext) => Record<string, string>;
  /**
   * Work the launcher starts at once and finishes before it starts this process (the admin UI's
   * build); it answers a line for the console, if any. A failure fails this service.
   */
  prepare?: () => Promise<string | undefined>;
  /** Its image's Dockerfile, for a service shipped as an image (docker-compose.yml builds it). */
  dockerfile?: string;
  /** Answers 200 once it can serve: the launcher waits for it at start and after each restart. */
  readiness: string;
}

export const services: readonly ServiceEntry[] = [
  {
    name: 'provider',
    entry: 'provider/src/main.ts',
    port: { setting: 'PORT', default: 3000 },
    publicUrlSetting: 'ISSUER',
    schema: 'provider',
    launchEnv: (launch) => ({
      USHER_RESOURCE_SERVERS: launch.resourceServers,
      USHER_EVENT_RECEIVERS: launch.eventReceivers,
      USHER_ADMIN_UI_URL: launch.url('admin UI'),
    }),
    dockerfile: 'provider/Dockerfile',
    readiness: '/readyz',
  },
  {
    name: 'films',
    entry: 'resource-servers/films/src/main.ts',
    port: { setting: 'FILMS_PORT', default: 3001 },
    publicUrlSetting: 'FILMS_PUBLIC_URL',
    schema: 'films',
    resourceServer: {
      name: 'Films',
      resourceSetting: 'FILMS_RESOURCE',
      feedClient: { id: 'films-service', idSetting: 'FILMS_CLIENT_ID', secretSetting: 'FILMS_CLIENT_SECRET' },
    },
    launchEnv: (launch) => ({ PROVIDER_ISSUER: launch.url('provider') }),
    dockerfile: 'resource-servers/films/Dockerfile',
    readiness: '/readyz',
  },
  {
    name: 'admin UI',
    entry: 'admin-ui/server/main.ts',
    port: { setting: 'ADMIN_UI_PORT', default: 3004 },
    publicUrlSetting: 'ADMIN_UI_PUBLIC_URL',
    launchEnv: (launch) => ({ PROVIDER_ISSUER: launch.url('provider') }),
    // Built (when admin-ui/dist is missing or older than its sources) while the databases and the
    // other services start, so a fresh checkout needs no build step and the first start stays quick.
    prepare: async () => {
      const { ensureAdminUiAssets } = await import('./scripts/admin-ui-assets.ts');
      return (await ensureAdminUiAssets()) ? 'admin UI built (admin-ui/dist)' : undefined;
    },
    readiness: '/readyz',
  },
];

/** The schemas of the services that have a database, in manifest order. */
export const databaseSchemas: readonly string[] = services.flatMap((service) =>
  service.schema ? [service.schema] : [],
);

/** The services that are resource servers. */
export const resourceServers = services.filter(
  (service): service is ServiceEntry & { resourceServer: ResourceServerEntry } => service.resourceServer !== undefined,
);
