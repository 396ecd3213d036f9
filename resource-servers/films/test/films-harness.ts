import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ProviderKeys } from '@usher/kit';
import { createLogger, openKeyValueStore, repositoryRoot, type Database, type KeyValueStore } from '@usher/platform';
import { LogCapture, type TestStores } from '@usher/test-support';
import { buildApp, type FilmsApp } from '../src/app.ts';
import { loadFilmsConfig, type FilmsConfig } from '../src/config.ts';
import { openFilmsDatabase } from '../src/data/films-database.ts';
import { createCatalogueWriter, type FilmRecord } from '../src/data/catalogue-writer.ts';
import { bumpCacheGeneration } from '../src/data/settings-queries.ts';

export interface RunningFilms {
  url: string;
  config: FilmsConfig;
  built: FilmsApp;
  db: Database;
  store: KeyValueStore;
  logs: LogCapture;
  keys: ProviderKeys;
  get(pathname: string, token?: string, headers?: Record<string, string>): Promise<Response>;
  /**
   * The films CLI as a child process, on the same stores. Asynchronous: with the embedded database
   * this process hosts PGlite, which must keep answering while the child runs.
   */
  cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Starts the films app in this process on a free port, over `stores`; `films` are loaded first. */
export async function startFilms(
  stores: TestStores,
  options: { issuer?: string; resource?: string; films?: FilmRecord[]; env?: Record<string, string> } = {},
): Promise<RunningFilms> {
  const keysDir = await mkdtemp(path.join(tmpdir(), 'usher-films-keys-'));
  const env = {
    ...stores.env,
    LOG_LEVEL: 'debug',
    PROVIDER_ISSUER: options.issuer ?? 'http://127.0.0.1:9',
    FILMS_RESOURCE: options.resource ?? 'http://films.test',
    FILMS_SEED: 'false',
    FILMS_STATE_DIR: keysDir,
    ...options.env,
  };
  const config = loadFilmsConfig(env);
  const logs = new LogCapture();
  const logger = createLogger({ service: 'films', level: config.LOG_LEVEL, destination: logs });
  const db = await openFilmsDatabase(config);
  await db.migrate();
  if (options.films) await loadFilms(db, options.films);
  const store = openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX);
  const keys = new ProviderKeys({
    issuer: config.issuer,
    cacheDir: config.keysCacheDir,
    refreshCooldownMs: 100,
    timeoutMs: 500,
  });
  await keys.start();
  const built = await buildApp(config, { db, store, logger, keys });
  const server: Server = built.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    config,
    built,
    db,
    store,
    logs,
    keys,
    get(pathname, token, headers = {}) {
      return fetch(url + pathname, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    },
    cli(...args: string[]) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join('resource-servers', 'films', 'src', 'cli', 'main.ts'), ...args],
        { cwd: repositoryRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      return new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (status) => resolve({ status, stdout, stderr }));
      });
    },
    async stop() {
      keys.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await built.close();
      await store.close();
      await db.close();
      await rm(keysDir, { recursive: true, force: true });
    },
  };
}

/** Replaces the catalogue with `films` (one batch) and bumps the cache generation. */
export async function loadFilms(db: Database, films: FilmRecord[]): Promise<void> {
  await db.knex.transaction(async (trx) => {
    const writer = createCatalogueWriter(trx);
    await writer.clear();
    await writer.writeBatch(films);
    await bumpCacheGeneration(trx);
  });
}

/** Writes `content` to a temporary file and returns its path. */
export async function tempFile(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'usher-films-file-'));
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

export async function json<T = unknown>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
