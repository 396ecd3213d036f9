import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { openDatabase, type Database } from '../src/index.ts';

/**
 * The two databases every platform data test runs on: a throw-away database on the machine's
 * PostgreSQL, and the embedded default (PGlite) in a temp data folder, hosted by this process.
 * Platform tests run once in `npm test`, so each suite covers both stores itself.
 */
export const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ThrowawayStore {
  kind: 'server' | 'embedded';
  /** A database handle on the store (several may be open: each has its own pool). */
  open(): Promise<Database>;
  /** What a child process passes to openDatabase to reach the same database. */
  readonly location: { databaseUrl?: string; dataDir: string; schema: string };
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Declares `suite` once per store, each in its own describe. `migrations`, when given, is a folder
 * of knex migrations for `schema`, run before the suite (so what a service's migration does is
 * tested too); without it the schema is just created.
 */
export function onEachStore(
  options: { schema: string; migrations?: string },
  suite: (store: () => ThrowawayStore) => void,
): void {
  for (const kind of ['server', 'embedded'] as const) {
    describe(kind === 'server' ? 'on a PostgreSQL server' : 'on the embedded database (PGlite)', () => {
      const databaseName = `usher_platform_${randomBytes(5).toString('hex')}`;
      const opened: Database[] = [];
      let dataDir = '';
      let current: ThrowawayStore | undefined;

      before(async () => {
        dataDir = await mkdtemp(path.join(tmpdir(), 'usher-platform-'));
        let databaseUrl: string | undefined;
        if (kind === 'server') {
          await withAdmin((client) => client.query(`create database ${databaseName}`));
          const url = new URL(serverUrl);
          url.pathname = `/${databaseName}`;
          databaseUrl = url.toString();
        }
        const location = { ...(databaseUrl ? { databaseUrl } : {}), dataDir, schema: options.schema };
        current = {
          kind,
          location,
          async open() {
            const db = await openDatabase({
              ...location,
              ...(options.migrations ? { migrations: options.migrations } : {}),
            });
            opened.push(db);
            return db;
          },
        };
        const first = await current.open();
        if (options.migrations) await first.migrate();
        else await first.knex.raw('create schema if not exists ??', [options.schema]);
      });

      after(async () => {
        // Last opened first: on the embedded database the first one hosts PGlite for the others.
        for (const db of opened.reverse()) await db.close();
        if (kind === 'server') {
          await withAdmin((client) => client.query(`drop database if exists ${databaseName} with (force)`));
        }
        await rm(dataDir, { recursive: true, force: true });
      });

      suite(() => {
        if (!current) throw new Error('the store is not open yet');
        return current;
      });
    });
  }
}
