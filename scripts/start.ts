/**
 * `npm start`: the whole system on one machine, as services.ts lists it. With no DATABASE_URL this
 * process hosts the embedded PostgreSQL (PGlite in the data folder) so that each service can be
 * stopped or killed on its own while the data stays up; each service runs as its own process, is
 * restarted with backoff when it crashes, and prints behind its name. Ctrl-C stops everything cleanly.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, resolveDataDir, type EmbeddedPostgres } from '../platform/src/index.ts';
import { services } from '../services.ts';
import { chooseConsoleStyle, forwardLines, linePrefix } from './launcher/console-lines.ts';
import { hostEmbeddedDatabases } from './launcher/embedded-databases.ts';
import { planLaunch } from './launcher/launch-plan.ts';
import { loadLauncherSettings, type LauncherSettings } from './launcher/launcher-settings.ts';
import { restartPolicy } from './launcher/restart-backoff.ts';
import { Supervisor } from './launcher/supervisor.ts';

const root = path.resolve(import.meta.dirname, '..');
/** How long the first start may take before the launcher calls it failed. */
const firstReadyTimeoutMs = 60_000;

let settings: LauncherSettings;
try {
  settings = loadLauncherSettings(services);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const say = (line: string) => console.log(`[start] ${line}`);
const warn = (line: string) => console.error(`[start] ${line}`);
const plan = planLaunch(services, settings);
const style = chooseConsoleStyle({
  terminal: Boolean(process.stdout.isTTY),
  logFormat: settings.LOG_FORMAT,
  noColor: settings.NO_COLOR !== undefined,
});
const serviceEnv = { ...process.env, ...(style.serviceLogFormat && { LOG_FORMAT: style.serviceLogFormat }) };

// Preparations (the admin UI's build) run while the databases and the other services start.
const prepared = plan.map((service) =>
  service.prepare?.().then((line) => {
    if (line) say(line);
  }),
);
for (const preparation of prepared) preparation?.catch(() => {}); // reported when its service would start

const supervisors = plan.map(
  (service, index) =>
    new Supervisor(service, {
      cwd: root,
      env: { ...serviceEnv, ...service.env },
      policy: restartPolicy,
      attach: (child) => {
        forwardLines(child.stdout!, process.stdout, linePrefix(service.name, index, style.colour), style.colour);
        const colourErr = style.colour && Boolean(process.stderr.isTTY);
        forwardLines(child.stderr!, process.stderr, linePrefix(service.name, index, colourErr), colourErr);
      },
      say,
      warn,
    }),
);

let stopping = false;
let embedded: EmbeddedPostgres[] = [];

/** Stops every service and the embedded databases, then exits with `exitCode` (non-zero: a failed start). */
async function stop(signal: string, exitCode = 0) {
  if (stopping) return;
  stopping = true;
  console.log(`\n[start] ${signal}: stopping services...`);
  await Promise.all(supervisors.map((supervisor) => supervisor.stop()));
  await Promise.all(embedded.map((database) => database.stop()));
  console.log('[start] stopped.');
  process.exit(exitCode);
}

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

const started = Date.now();
const schemas = services.flatMap((service) => (service.schema ? [service] : []));
let databases: Promise<EmbeddedPostgres[]> | null = null;
if (!settings.DATABASE_URL) {
  // Resource servers' databases first: their path to ready (migrations, then demo data) is the longer one.
  const order = [...schemas.filter((service) => service.resourceServer), ...schemas.filter((s) => !s.resourceServer)];
  const hosted = hostEmbeddedDatabases(
    resolveDataDir(settings.USHER_DATA_DIR),
    order.map((service) => service.schema!),
  );
  databases = hosted.opened;
  // The services load their code while the databases initialise.
  await hosted.claimed;
}
// Every service starts at once (each has its own database). The provider registers the resource
// servers it is told about (USHER_RESOURCE_SERVERS) when it starts.
for (const [index, supervisor] of supervisors.entries()) {
  const preparation = prepared[index];
  if (!preparation) supervisor.start();
  else
    preparation.then(
      () => supervisor.start(),
      (error: unknown) => supervisor.fail(error instanceof Error ? error.message : String(error)),
    );
}
if (databases) {
  embedded = await databases;
  const names = schemas.map((service) => service.name);
  say(
    `embedded PostgreSQL for ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' and ' : ''}${names.at(-1)} ` +
      `(data in ${resolveDataDir(settings.USHER_DATA_DIR)})`,
  );
}
const ready = await Promise.all(
  supervisors.map((supervisor) =>
    Promise.race([supervisor.firstReady, sleep(firstReadyTimeoutMs, false, { ref: false })]),
  ),
);
if (stopping) {
  // Ctrl-C during the start: stop() is already under way and exits.
} else if (ready.some((ok) => !ok)) {
  console.error('[start] a service did not become ready; see its output above.');
  await stop('failure', 1);
} else {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\nUsher is ready in ${seconds} s:`);
  for (const service of plan) console.log(`  ${service.name.padEnd(10)} ${service.url}`);
  const provider = plan.find((service) => service.name === 'provider');
  console.log(`  discovery  ${provider?.url}/.well-known/openid-configuration`);
  console.log('Press Ctrl-C to stop.\n');
}
