import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

/**
 * The embedded default: one PGlite database in the data folder, served over the PostgreSQL wire
 * protocol so that every service and the CLI use the same `pg` code path as production. PGlite is
 * single-process, so exactly one process hosts it; the others find it through a lock file that names
 * the host's pid and port. The first process that needs the database and finds no live host becomes
 * the host (normally the root launcher, so the services can come and go while the data stays up).
 */
export interface EmbeddedPostgres {
  url: string;
  /** True when this process hosts the database (and must stop it on exit). */
  hosting: boolean;
  stop(): Promise<void>;
}

interface LockContents {
  pid: number;
  port: number | null;
}

/** The lock file in a database folder naming the process that hosts it (and its port, once listening). */
export const embeddedLockFile = 'postgres.lock.json';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function readLock(file: string): Promise<LockContents | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockContents;
  } catch {
    return null;
  }
}

function urlFor(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** Databases this process hosts, shared by every opener in the process and stopped by the last. */
const hostedHere = new Map<string, { hosted: Promise<EmbeddedPostgres>; users: number }>();
/** Stops in progress: a reopen waits for them rather than start a second PGlite on the same folder. */
const stoppingHere = new Map<string, Promise<void>>();

export async function openEmbeddedPostgres(dataDir: string, logger?: Logger): Promise<EmbeddedPostgres> {
  const key = path.resolve(dataDir);
  await stoppingHere.get(key);
  const existing = hostedHere.get(key);
  if (existing) {
    existing.users += 1;
    const hosted = await existing.hosted;
    // A concurrent opener that found another process's host: this caller is a client too.
    return hosted.hosting ? sharedHandle(key, hosted) : hosted;
  }
  const entry = { hosted: findOrHost(key, logger), users: 1 };
  hostedHere.set(key, entry);
  try {
    const opened = await entry.hosted;
    if (!opened.hosting) hostedHere.delete(key);
    return opened.hosting ? sharedHandle(key, opened) : opened;
  } catch (error) {
    hostedHere.delete(key);
    throw error;
  }
}

function sharedHandle(key: string, hosted: EmbeddedPostgres): EmbeddedPostgres {
  let released = false;
  return {
    url: hosted.url,
    hosting: true,
    async stop() {
      if (released) return;
      released = true;
      const entry = hostedHere.get(key);
      if (!entry) return;
      entry.users -= 1;
      if (entry.users === 0) {
        hostedHere.delete(key);
        const stopping = hosted.stop();
        stoppingHere.set(
          key,
          stopping.then(
            () => void stoppingHere.delete(key),
            () => void stoppingHere.delete(key),
          ),
        );
        await stopping;
      }
    },
  };
}

async function findOrHost(dataDir: string, logger?: Logger): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  const lockFile = path.join(dataDir, embeddedLockFile);
  const deadline = Date.now() + 60_000;

  while (Date.now() < deadline) {
    const lock = await readLock(lockFile);
    if (lock && lock.pid !== process.pid && isAlive(lock.pid)) {
      if (lock.port !== null && (await canConnect(lock.port))) {
        return { url: urlFor(lock.port), hosting: false, stop: async () => {} };
      }
      await sleep(100); // the host is still starting
      continue;
    }
    if (lock) await rm(lockFile, { force: true }); // stale: its process is gone
    let handle;
    try {
      handle = await open(lockFile, 'wx');
    } catch {
      await sleep(50); // another process won the race; look again
      continue;
    }
    await handle.writeFile(JSON.stringify({ pid: process.pid, port: null } satisfies LockContents));
    await handle.close();
    try {
      return await host(dataDir, lockFile, logger);
    } catch (error) {
      await rm(lockFile, { force: true });
      throw error;
    }
  }
  throw new Error(`Timed out waiting for the embedded PostgreSQL in ${dataDir}`);
}

type PGliteClass = typeof import('@electric-sql/pglite').PGlite;
type PGliteInstance = Awaited<ReturnType<PGliteClass['create']>>;

/**
 * A new cluster costs seconds of initdb (4.5 s measured here, against 2.2 s to start from a copy).
 * The first one a process creates is dumped straight away (before anything writes to it), and every
 * later new folder starts from that copy: `npm start` creates one per service, and the tests create
 * many. The copy is also kept on disk (`npm install` makes it, see scripts/prepare-embedded.ts), so
 * that a first start on a new machine skips initdb altogether.
 */
let blankCluster: Promise<Blob | null> | null = null;

/**
 * Where the blank cluster is kept between processes: beside the PGlite version it was made by.
 * Worked out once, when first needed (a process on a PostgreSQL server never needs it).
 */
let blankClusterPath: string | undefined;
function blankClusterFile(): string {
  if (blankClusterPath) return blankClusterPath;
  const root = path.resolve(import.meta.dirname, '..', '..');
  let version = 'unknown';
  try {
    const manifest = path.join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json');
    version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    // not found where expected: the name says so, and nothing else depends on it
  }
  blankClusterPath = path.join(root, 'node_modules', '.cache', 'usher', `pglite-${version}-blank-cluster.tar.gz`);
  return blankClusterPath;
}

async function readBlankCluster(): Promise<Blob | null> {
  try {
    // Kept compressed (4.5 MB), used as a plain tar: inflated once here, natively, rather than by
    // PGlite for each new database on the launcher's one thread.
    return new Blob([gunzipSync(await readFile(blankClusterFile()))]);
  } catch {
    return null;
  }
}

async function keepBlankCluster(dump: Blob): Promise<void> {
  const file = blankClusterFile();
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temporary, gzipSync(Buffer.from(await dump.arrayBuffer())));
    await rename(temporary, file);
  } catch {
    await rm(temporary, { force: true }).catch(() => {});
  }
}

async function openCluster(PGlite: PGliteClass, folder: string): Promise<PGliteInstance> {
  if (existsSync(path.join(folder, 'PG_VERSION'))) return PGlite.create(folder);
  if (!blankCluster) {
    // This process's first new cluster: from the kept copy, or else from initdb, dumped for the
    // next ones (set before the first await, so that concurrent openers wait for it).
    let settle!: (dump: Blob | null) => void;
    blankCluster = new Promise((resolve) => (settle = resolve));
    const kept = await readBlankCluster();
    if (kept) settle(kept);
    else {
      try {
        const db = await PGlite.create(folder);
        const dump = await db.dumpDataDir('none');
        settle(dump);
        await keepBlankCluster(dump);
        return db;
      } catch (error) {
        settle(null);
        blankCluster = null;
        throw error;
      }
    }
  }
  const blank = await blankCluster;
  if (!blank) return PGlite.create(folder);
  try {
    return await PGlite.create(folder, { loadDataDir: blank });
  } catch {
    // A damaged copy: forget it (on disk too), and this folder starts from initdb, which makes a
    // new one; a failure that was not the copy's fails there again and is thrown.
    await rm(folder, { recursive: true, force: true });
    await rm(blankClusterFile(), { force: true });
    blankCluster = null;
    return openCluster(PGlite, folder);
  }
}

/**
 * Makes the on-disk blank cluster if it is missing (`npm install` runs this through
 * scripts/prepare-embedded.ts). Returns where it is.
 */
export async function prepareBlankCluster(): Promise<string> {
  const file = blankClusterFile();
  if (existsSync(file)) return file;
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create();
  try {
    await keepBlankCluster(await db.dumpDataDir('none'));
  } finally {
    await db.close();
  }
  // keepBlankCluster is best effort for a database that makes the copy on its way; here the copy is
  // the point, so a failure to write it is said.
  if (!existsSync(file)) throw new Error(`could not write ${file}`);
  return file;
}

/** What keepQueryCyclesWhole uses of pglite-socket's query queue (public methods of an unexported class). */
interface QueryQueue {
  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number>;
  clearQueueForHandler(handlerId: number): void;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

/** Frontend messages of an extended-query cycle before its Sync: Parse, Bind, Describe, Execute, Close, Flush. */
const midCycle = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((type) => type.charCodeAt(0)));

/**
 * pglite-socket serves every connection from PGlite's one session, running each protocol message as
 * it arrives and taking turns between connections (it holds the others only inside a transaction).
 * A query with parameters is Parse, Bind, Describe, Execute, Sync on the session's one unnamed
 * statement and portal, so when one connection's cycle arrives in pieces (a big one takes several
 * reads) and another's comes in between, the first executes the other's portal, or finds none
 * ("portal does not exist"). This gate in front of its queue hands it one message at a time, and
 * picks which: while a connection's cycle is open (from its first Parse, Bind, ... to its Sync) or
 * its transaction is, only that connection's messages; otherwise the oldest.
 */
function keepQueryCyclesWhole(
  server: InstanceType<typeof import('@electric-sql/pglite-socket').PGLiteSocketServer>,
  db: PGliteInstance,
): void {
  const queue = (server as unknown as { queryQueue?: QueryQueue }).queryQueue;
  if (
    typeof queue?.enqueue !== 'function' ||
    typeof queue.clearQueueForHandler !== 'function' ||
    typeof queue.clearTransactionIfNeeded !== 'function'
  ) {
    throw new Error('@electric-sql/pglite-socket has changed: its query queue is not where Usher expects it');
  }
  const run = queue.enqueue.bind(queue);
  const clearQueueForHandler = queue.clearQueueForHandler.bind(queue);
  const clearTransactionIfNeeded = queue.clearTransactionIfNeeded.bind(queue);
  const pending: QueuedMessage[] = [];
  let running = false;
  /** The connection whose extended-query cycle is open. */
  let cycleOwner: number | null = null;
  /** The connection whose message ran last: the one in a transaction, when the session is in one. */
  let lastRunner: number | null = null;

  const pump = () => {
    if (running || !pending.length) return;
    const holder = cycleOwner ?? (db.isInTransaction() ? lastRunner : null);
    const index = holder === null ? 0 : pending.findIndex((entry) => entry.handlerId === holder);
    if (index < 0) return; // the holder's next message has not arrived yet
    const { handlerId, message, onData, resolve, reject } = pending.splice(index, 1)[0]!;
    const type = message[0] ?? 0;
    if (midCycle.has(type)) cycleOwner = handlerId;
    else if (cycleOwner === handlerId) cycleOwner = null; // Sync (or anything else) closes its cycle
    running = true;
    run(handlerId, message, onData)
      .then(resolve, reject)
      .finally(() => {
        lastRunner = handlerId;
        running = false;
        pump();
      });
  };

  queue.enqueue = (handlerId, message, onData) =>
    new Promise((resolve, reject) => {
      pending.push({ handlerId, message, onData, resolve, reject });
      pump();
    });

  queue.clearQueueForHandler = (handlerId) => {
    clearQueueForHandler(handlerId);
    for (let index = pending.length - 1; index >= 0; index -= 1) {
      if (pending[index]!.handlerId !== handlerId) continue;
      pending.splice(index, 1)[0]!.reject(new Error('Handler disconnected'));
    }
    // A connection gone mid-cycle holds no one up; mid-transaction, its rollback comes next (below).
    if (cycleOwner === handlerId) cycleOwner = null;
    pump();
  };

  queue.clearTransactionIfNeeded = async (handlerId) => {
    await clearTransactionIfNeeded(handlerId);
    pump();
  };
}

async function host(dataDir: string, lockFile: string, logger?: Logger): Promise<EmbeddedPostgres> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-socket'),
  ]);
  const db = await openCluster(PGlite, path.join(dataDir, 'pg'));
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 100 });
  keepQueryCyclesWhole(server, db);
  await server.start();
  // getServerConn() answers "host:port" once listening (port 0 asked the OS for a free one).
  const port = Number(server.getServerConn().split(':').pop());
  await writeFile(lockFile, JSON.stringify({ pid: process.pid, port } satisfies LockContents));
  logger?.info({ dataDir, port }, 'embedded PostgreSQL started');
  let stopped = false;
  return {
    url: urlFor(port),
    hosting: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
      const lock = await readLock(lockFile);
      if (lock?.pid === process.pid) await rm(lockFile, { force: true });
      logger?.info('embedded PostgreSQL stopped');
    },
  };
}
