/**
 * `npm start`: the whole system on one machine. With no DATABASE_URL this process hosts the embedded
 * PostgreSQL (PGlite in the data folder) so that each service can be stopped or killed on its own
 * while the data stays up; each service runs as its own process. Ctrl-C stops everything cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  embeddedDatabaseDir,
  embeddedLockFile,
  env,
  loadConfig,
  openEmbeddedPostgres,
  resolveDataDir,
  type EmbeddedPostgres,
} from '../platform/src/index.ts';
import { ensureAdminUiAssets } from './admin-ui-assets.ts';

const settings = loadConfig(
  z.object({
    DATABASE_URL: z.string().optional(),
    USHER_DATA_DIR: z.string().optional(),
    PORT: env.port(3000),
    ISSUER: z.string().optional(),
    FILMS_PORT: env.port(3001),
    FILMS_PUBLIC_URL: z.string().optional(),
    FILMS_RESOURCE: z.string().optional(),
    ADMIN_UI_PORT: env.port(3004),
    ADMIN_UI_PUBLIC_URL: z.string().optional(),
  }),
);

interface Service {
  name: string;
  entry: string;
  port: number;
  url: string;
  /** Extra environment of this service's process. */
  env?: Record<string, string>;
  /** Work to finish before the process starts (the admin UI's build); it fails the service when it fails. */
  before?: () => Promise<unknown>;
  failed?: boolean;
  child?: ChildProcess;
}

const root = path.resolve(import.meta.dirname, '..');
const providerUrl = settings.ISSUER ?? `http://localhost:${settings.PORT}`;
const filmsUrl = settings.FILMS_PUBLIC_URL ?? `http://localhost:${settings.FILMS_PORT}`;
const filmsResource = settings.FILMS_RESOURCE ?? filmsUrl;
const adminUiUrl = settings.ADMIN_UI_PUBLIC_URL ?? `http://localhost:${settings.ADMIN_UI_PORT}`;
// The admin UI is built (when admin-ui/dist is missing or older than its sources) while the databases
// and the other services start, so a fresh checkout needs no build step and the first start stays quick.
const adminUiAssets = ensureAdminUiAssets().then((built) => {
  if (built) console.log('[start] admin UI built (admin-ui/dist)');
});
adminUiAssets.catch(() => {}); // reported when the admin UI would start
// Films follows the provider's revocation feed with a client that the provider registers on start;
// its secret lives only in these two processes' environments and changes on every start.
const filmsReceiver = { clientId: 'films-service', secret: randomBytes(24).toString('base64url') };
const eventReceivers = [process.env.USHER_EVENT_RECEIVERS, `${filmsReceiver.clientId}:${filmsReceiver.secret}`]
  .filter(Boolean)
  .join(',');
const services: Service[] = [
  {
    name: 'provider',
    entry: 'provider/src/main.ts',
    port: settings.PORT,
    url: providerUrl,
    env: { USHER_EVENT_RECEIVERS: eventReceivers, USHER_ADMIN_UI_URL: adminUiUrl },
  },
  {
    name: 'films',
    entry: 'resource-servers/films/src/main.ts',
    port: settings.FILMS_PORT,
    url: filmsUrl,
    env: {
      FILMS_PORT: String(settings.FILMS_PORT),
      FILMS_RESOURCE: filmsResource,
      PROVIDER_ISSUER: providerUrl,
      FILMS_CLIENT_ID: filmsReceiver.clientId,
      FILMS_CLIENT_SECRET: filmsReceiver.secret,
    },
  },
  {
    name: 'admin UI',
    entry: 'admin-ui/server/main.ts',
    port: settings.ADMIN_UI_PORT,
    url: adminUiUrl,
    env: {
      ADMIN_UI_PORT: String(settings.ADMIN_UI_PORT),
      ADMIN_UI_PUBLIC_URL: adminUiUrl,
      PROVIDER_ISSUER: providerUrl,
    },
    before: () => adminUiAssets,
  },
];

const resourceServerList = [process.env.USHER_RESOURCE_SERVERS, `Films=${filmsResource}`].filter(Boolean).join(',');

let stopping = false;
let embedded: EmbeddedPostgres[] = [];

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream) {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
}

function launch(service: Service) {
  const child = spawn(process.execPath, ['--import', 'tsx', service.entry], {
    cwd: root,
    env: { ...process.env, PORT: String(service.port), USHER_RESOURCE_SERVERS: resourceServerList, ...service.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prefixLines(service.name, child.stdout!, process.stdout);
  prefixLines(service.name, child.stderr!, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping)
      console.error(`[start] ${service.name} exited (${signal ?? code}); the other services keep running.`);
  });
  service.child = child;
}

/** Resolves once this process has written the lock file of every embedded database folder. */
async function holdsLocks(folders: string[]): Promise<void> {
  for (;;) {
    const locks = await Promise.all(
      folders.map((folder) =>
        readFile(path.join(folder, embeddedLockFile), 'utf8').then(
          (text) => (JSON.parse(text) as { pid?: number }).pid === process.pid,
          () => false,
        ),
      ),
    );
    if (locks.every(Boolean)) return;
    await sleep(5);
  }
}

async function waitReady(service: Service, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.failed) return false;
    if (service.child?.exitCode !== null && service.child?.exitCode !== undefined) return false;
    try {
      const response = await fetch(`http://127.0.0.1:${service.port}/readyz`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
  return false;
}

/** Stops every service and the embedded databases, then exits with `exitCode` (non-zero: a failed start). */
async function stop(signal: string, exitCode = 0) {
  if (stopping) return;
  stopping = true;
  console.log(`\n[start] ${signal}: stopping services...`);
  await Promise.all(
    services.map(
      (service) =>
        new Promise<void>((resolve) => {
          const child = service.child;
          if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  await Promise.all(embedded.map((database) => database.stop()));
  console.log('[start] stopped.');
  process.exit(exitCode);
}

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

const started = Date.now();
let databases: Promise<EmbeddedPostgres[]> | null = null;
if (!settings.DATABASE_URL) {
  // One embedded database per service (each its own PGlite), hosted here so that services can be
  // stopped or killed on their own while the data stays up.
  const dataDir = resolveDataDir(settings.USHER_DATA_DIR);
  // Films first: its path to ready (migrations, then the demo catalogue) is the longer one, and the
  // first database on this thread is ready about a second before the second.
  const folders = ['films', 'provider'].map((schema) => embeddedDatabaseDir(dataDir, schema));
  databases = Promise.all(folders.map((folder) => openEmbeddedPostgres(folder)));
  // The services load their code while the databases initialise: once this process holds each
  // database's lock, a service that opens it waits for this host instead of hosting it itself.
  await Promise.race([holdsLocks(folders), databases]);
}
// Every service starts at once (each has its own database). The provider registers the resource
// servers it is told about (USHER_RESOURCE_SERVERS) when it starts.
for (const service of services) {
  if (!service.before) launch(service);
  else
    service.before().then(
      () => !stopping && launch(service),
      (error: unknown) => {
        service.failed = true;
        console.error(`[start] ${service.name} could not start: ${error instanceof Error ? error.message : error}`);
      },
    );
}
if (databases) {
  embedded = await databases;
  console.log(
    `[start] embedded PostgreSQL for provider and films (data in ${resolveDataDir(settings.USHER_DATA_DIR)})`,
  );
}
const [provider, ...resourceServers] = services;
const ready = await Promise.all([waitReady(provider!), ...resourceServers.map((service) => waitReady(service))]);
if (ready.some((ok) => !ok)) {
  console.error('[start] a service did not become ready; see its output above.');
  await stop('failure', 1);
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`\nUsher is ready in ${seconds} s:`);
for (const service of services) console.log(`  ${service.name.padEnd(10)} ${service.url}`);
console.log(`  discovery  ${providerUrl}/.well-known/openid-configuration`);
console.log('Press Ctrl-C to stop.\n');
