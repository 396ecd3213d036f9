/**
 * Bench child: Usher as production runs it (buildApp on PostgreSQL, in-process store, LOG_LEVEL=info
 * with one JSON line per request, written to /dev/null instead of stdout), on 127.0.0.1. Its
 * settings come from the environment the bench passes. Creates a resource server, a confidential
 * client_credentials client holding two permissions and, with --sign-in, a user and a first-party
 * public client. Prints one JSON line when listening: {port, clientId, clientSecret, resource,
 * signIn?: {email, password, clientId, redirectUri}}.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createLogger, openDatabase, openKeyValueStore } from '@usher/platform';
import { initializeAccess } from '../src/access/bootstrap.ts';
import { registerUser } from '../src/accounts/registration.ts';
import { buildApp } from '../src/app.ts';
import { loadProviderConfig } from '../src/config.ts';
import { announceReady } from '@usher/test-support/bench';

const withSignIn = process.argv.includes('--sign-in');
const resource = 'https://films.bench.test';
const redirectUri = 'http://127.0.0.1:9/callback';

const server = createServer();
server.keepAliveTimeout = 65_000; // as in provider/src/main.ts
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;

const config = loadProviderConfig({
  ...process.env,
  ISSUER: `http://127.0.0.1:${port}`,
  PORT: String(port),
  HOST: '127.0.0.1',
});
// Production writes these lines to stdout through the platform logger's buffered destination; the
// same destination here, on /dev/null: every line is still built and written, only nobody keeps it.
const logger = createLogger({ service: 'provider', level: config.LOG_LEVEL, destination: '/dev/null' });
const db = await openDatabase({
  databaseUrl: config.DATABASE_URL,
  dataDir: config.dataDir,
  schema: config.DATABASE_SCHEMA,
  preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
  logger,
});
await db.migrate();
const store = openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX);
const built = await buildApp(config, { db, store, logger });
const { domain } = built;
await initializeAccess(db.knex, domain.access);

await domain.resources.create(resource, 'Films (bench)');
const machine = await domain.clients.create({
  client_name: 'Bench machine client',
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
});
await domain.access.grantPermissionToClient(machine.client_id, 'can_view_file');
await domain.access.grantPermissionToClient(machine.client_id, 'can_upload_file');

let signIn: { email: string; password: string; clientId: string; redirectUri: string } | undefined;
if (withSignIn) {
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const password = `correct horse battery ${randomBytes(4).toString('hex')}`;
  await registerUser(domain, { email, password, emailVerified: true }, 'bench');
  const web = await domain.clients.create({
    client_name: 'Cinema web (bench)',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    first_party: true,
  });
  signIn = { email, password, clientId: web.client_id, redirectUri };
}

server.on('request', built.handler);

announceReady(
  { port, clientId: machine.client_id, clientSecret: machine.client_secret, resource, signIn },
  async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await built.close();
    await store.close();
    await db.close();
  },
);
