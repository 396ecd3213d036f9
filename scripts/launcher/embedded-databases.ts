/**
 * With no DATABASE_URL, the launcher hosts one embedded PostgreSQL per service with a database (each
 * its own PGlite, in the data folder), so that services can be stopped, killed and restarted on
 * their own while the data stays up.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  embeddedDatabaseDir,
  embeddedLockFile,
  openEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../platform/src/index.ts';

export interface HostedDatabases {
  /** Settles once this process holds every database's lock (or has opened them all). */
  claimed: Promise<unknown>;
  opened: Promise<EmbeddedPostgres[]>;
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

/**
 * Opens the databases of `schemas`, in that order (the first on this thread is ready about a second
 * before the next). The services may start once `claimed` settles: a service that opens a claimed
 * database waits for this host instead of hosting it itself.
 */
export function hostEmbeddedDatabases(dataDir: string, schemas: readonly string[]): HostedDatabases {
  const folders = schemas.map((schema) => embeddedDatabaseDir(dataDir, schema));
  const opened = Promise.all(folders.map((folder) => openEmbeddedPostgres(folder)));
  return { claimed: Promise.race([holdsLocks(folders), opened]), opened };
}
