/**
 * Bench child: the films server as production runs it (buildApp, in-process store, one JSON log
 * line per request written to /dev/null), on 127.0.0.1, with its settings from the environment the
 * bench passes. `--verifier` picks how bearer tokens are checked:
 *   token          the kit's TokenVerifier, as in production (the default);
 *   none           no check: one fixed subscriber (no-check-verifier.ts);
 *   introspection  the provider's introspection endpoint on every request (introspection-verifier.ts).
 * The provider's keys are refreshed every `--key-cache-ms` (cooldown and fetch timeout half of it),
 * so an outage longer than that outlives every key cache age. Seeds `--films` generated films and
 * prints one JSON line when listening: {port, film: {uuid, imdb_rating}}, a film above the public
 * rating limit, so only subscribers may open it.
 */
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { ProviderKeys } from '@usher/kit';
import { createLogger, openKeyValueStore } from '@usher/platform';
import { announceReady } from '@usher/test-support/bench';
import { buildApp, type AppDeps } from '../src/app.ts';
import { publicRatingLimit } from '../src/catalogue/subscription-rule.ts';
import { loadFilmsConfig } from '../src/config.ts';
import { openFilmsDatabase } from '../src/data/films-database.ts';
import { seedIfEmpty } from '../src/seed/seed-catalogue.ts';
import { IntrospectionVerifier } from './introspection-verifier.ts';
import { noCheckVerifier } from './no-check-verifier.ts';

const { values } = parseArgs({
  options: {
    verifier: { type: 'string', default: 'token' },
    films: { type: 'string', default: '500' },
    'key-cache-ms': { type: 'string', default: '2000' },
  },
});
const keyCacheMs = Number(values['key-cache-ms']);

const server = createServer();
server.keepAliveTimeout = 65_000; // as in src/main.ts
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;

const config = loadFilmsConfig({ ...process.env, HOST: '127.0.0.1', FILMS_SEED: 'false' });
const logger = createLogger({ service: 'films', level: config.LOG_LEVEL, destination: '/dev/null' });
const db = await openFilmsDatabase(config, logger);
await db.migrate();
await seedIfEmpty(db.knex, logger, Number(values.films));
const store = openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX);

await mkdir(config.keysCacheDir, { recursive: true });
const keys = new ProviderKeys({
  issuer: config.issuer,
  cacheDir: config.keysCacheDir,
  logger,
  backgroundRefreshMs: keyCacheMs,
  refreshCooldownMs: keyCacheMs / 2,
  timeoutMs: keyCacheMs / 2,
});
await keys.start();

async function chosenVerifier(): Promise<AppDeps['verifier']> {
  switch (values.verifier) {
    case 'token':
      return undefined;
    case 'none':
      return noCheckVerifier();
    case 'introspection':
      if (!config.FILMS_CLIENT_ID || !config.FILMS_CLIENT_SECRET)
        throw new Error('introspection needs FILMS_CLIENT_ID and FILMS_CLIENT_SECRET');
      return IntrospectionVerifier.discover({
        issuer: config.issuer,
        audience: config.resource,
        clientId: config.FILMS_CLIENT_ID,
        clientSecret: config.FILMS_CLIENT_SECRET,
      });
    default:
      throw new Error(`--verifier must be token, none or introspection, not ${values.verifier}`);
  }
}

const verifier = await chosenVerifier();
const built = await buildApp(config, { db, store, logger, keys, ...(verifier ? { verifier } : {}) });
server.on('request', built.app);

// The lowest rating above the limit: the subscription rule decides who may open it.
const ascending = await built.catalogue.listFilms(
  { page: { number: 0, size: 1000 }, sort: 'imdb_rating' },
  { subscriber: true },
);
const film = ascending.find((item) => item.imdb_rating !== null && item.imdb_rating > publicRatingLimit);
if (!film) throw new Error(`no seeded film is rated above ${publicRatingLimit}`);

announceReady({ port, film: { uuid: film.uuid, imdb_rating: film.imdb_rating } }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await built.close();
  keys.stop();
  await store.close();
  await db.close();
});
