import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { testDatabaseUrl as serverUrl } from '../test-environment.ts';
import type { Teardown } from './teardown.ts';

export interface ThrowawayDatabase {
  kind: 'postgres' | 'embedded';
  /** Provider settings that point a child at it (DATABASE_URL, or USHER_DATA_DIR for the embedded one). */
  env: Record<string, string>;
  description: string;
  /** Drops it now (after its children have stopped) instead of at the end of the bench. */
  drop(): Promise<void>;
  /**
   * Process ids of the PostgreSQL backends serving it, to read their CPU time: none for the embedded
   * database (it runs inside the Usher process), null when the server is not on this machine.
   */
  backendPids(): Promise<number[] | null>;
}

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function withAdmin(work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

let postgresAvailable: Promise<boolean> | null = null;

/**
 * A database for one Usher child, dropped by `teardown`: a fresh database on the machine's
 * PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432), or, when that is not
 * reachable, the embedded default in a temporary USHER_DATA_DIR.
 */
export async function createThrowawayDatabase(teardown: Teardown): Promise<ThrowawayDatabase> {
  postgresAvailable ??= reachable();
  if (!(await postgresAvailable)) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'usher-bench-'));
    const drop = teardown.defer(`data folder ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
    return {
      drop,
      backendPids: async () => [],
      kind: 'embedded',
      env: { USHER_DATA_DIR: dataDir },
      description: `EMBEDDED PostgreSQL (PGlite) in ${dataDir}: ${new URL(serverUrl).host} was not reachable`,
    };
  }
  const name = `usher_bench_${randomBytes(5).toString('hex')}`;
  let version = '?';
  await withAdmin(async (client) => {
    version = (await client.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '?';
    await client.query(`create database ${name}`);
  });
  const drop = teardown.defer(`database ${name}`, () =>
    withAdmin(async (client) => {
      await client.query(`drop database if exists ${name} with (force)`);
    }),
  );
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  const backendPids = async (): Promise<number[] | null> => {
    if (!local) return null;
    let pids: number[] = [];
    await withAdmin(async (client) => {
      const result = await client.query<{ pid: number }>(
        'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      );
      pids = result.rows.map((row) => row.pid);
    });
    return pids;
  };
  return {
    drop,
    backendPids,
    kind: 'postgres',
    env: { DATABASE_URL: url.toString() },
    description: `PostgreSQL ${version} at ${url.host}, throw-away database ${name}`,
  };
}
