import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Writable } from 'node:stream';
import { connect, type Socket } from 'node:net';
import { createLogger, openDatabase, openEmbeddedPostgres, prepareBlankCluster, type Database } from '../src/index.ts';

/**
 * The embedded default end to end: PGlite in a temp data folder, served over the wire protocol,
 * shared within a process, found by other processes through the lock file, and persistent.
 */
const platformIndex = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

let workDir: string;
let dataDir: string;
let noMigrations: string;
// Each service (schema) has its own embedded database, in its own folder of the data folder.
const lockFile = () => path.join(dataDir, 'service_one', 'postgres.lock.json');
const rootLockFile = () => path.join(dataDir, 'postgres.lock.json');
const readLockFile = async () => JSON.parse(await readFile(lockFile(), 'utf8')) as { pid: number; port: number | null };
const portOf = (url: string) => Number(new URL(url).port);

function open(schema: string, directory = dataDir): Promise<Database> {
  return openDatabase({ dataDir: directory, schema, migrations: noMigrations });
}

/** A log destination that keeps each line's message. */
function collect(messages: string[]) {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        messages.push((JSON.parse(line) as { msg: string }).msg);
      }
      done();
    },
  });
}

async function exists(file: string) {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Runs a script in a fresh Node process (with tsx) and returns its last stdout line, parsed. */
async function runChild(source: string): Promise<Record<string, unknown>> {
  const script = path.join(workDir, `child-${Date.now()}.mjs`);
  await writeFile(script, source);
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: repositoryRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `child failed: ${stderr}`);
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

/** PostgreSQL frontend messages (protocol 3.0), for tests that must control how they arrive. */
function message(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cString = (text: string) => Buffer.from(`${text}\0`, 'utf8');
const int16 = (value: number) => Buffer.from([(value >> 8) & 0xff, value & 0xff]);
const int32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
};
const parse = (sql: string) => message('P', cString(''), cString(sql), int16(0));
const bind = (values: string[]) =>
  message(
    'B',
    cString(''),
    cString(''),
    int16(0),
    int16(values.length),
    ...values.flatMap((value) => [int32(Buffer.byteLength(value)), Buffer.from(value)]),
    int16(0),
  );
const describePortal = () => message('D', Buffer.from('P'), cString(''));
const execute = () => message('E', cString(''), int32(0));
const sync = () => message('S');
const query = (sql: string) => message('Q', cString(sql));

/** One raw protocol connection: sends messages as given, and reads answers up to ReadyForQuery. */
class RawConnection {
  private received = Buffer.alloc(0);
  private waiter: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const connection = new RawConnection(socket);
    const startup = Buffer.concat([
      int32(196608),
      cString('user'),
      cString('postgres'),
      cString('database'),
      cString('postgres'),
      Buffer.from([0]),
    ]);
    socket.write(Buffer.concat([int32(startup.length + 4), startup]));
    await connection.cycle();
    return connection;
  }

  send(...messages: Buffer[]) {
    this.socket.write(Buffer.concat(messages));
  }

  /** Data rows (as text) and error messages up to the next ReadyForQuery. */
  async cycle(): Promise<{ rows: (string | null)[][]; errors: string[] }> {
    const rows: (string | null)[][] = [];
    const errors: string[] = [];
    for (;;) {
      while (this.received.length < 5 || this.received.length < 1 + this.received.readInt32BE(1)) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no answer in 5 s')), 5000);
          this.waiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const type = String.fromCharCode(this.received[0]!);
      const end = 1 + this.received.readInt32BE(1);
      const body = this.received.subarray(5, end);
      this.received = this.received.subarray(end);
      if (type === 'Z') return { rows, errors };
      if (type === 'E')
        errors.push(
          body
            .toString('utf8')
            .split('\0')
            .find((field) => field.startsWith('M'))
            ?.slice(1) ?? '',
        );
      if (type === 'D') {
        const row: (string | null)[] = [];
        let at = 2;
        for (let column = 0; column < body.readInt16BE(0); column += 1) {
          const length = body.readInt32BE(at);
          row.push(length < 0 ? null : body.subarray(at + 4, at + 4 + length).toString('utf8'));
          at += 4 + Math.max(0, length);
        }
        rows.push(row);
      }
    }
  }

  close() {
    this.socket.destroy();
  }
}

before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'usher-embedded-pg-'));
  dataDir = path.join(workDir, 'data');
  noMigrations = path.join(workDir, 'no-migrations');
  await mkdir(noMigrations);
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('embedded PostgreSQL', () => {
  let first: Database;
  let second: Database;

  after(async () => {
    // Only reached with handles still open when a test failed part-way.
    await first?.close().catch(() => {});
    await second?.close().catch(() => {});
  });

  test('openDatabase without a URL hosts PGlite in the data folder and runs queries', async () => {
    first = await open('service_one');
    assert.ok(first.embedded, 'an embedded database is opened');
    assert.equal(first.embedded.hosting, true);
    assert.match(first.embedded.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);

    const lock = await readLockFile();
    assert.equal(lock.pid, process.pid);
    assert.equal(lock.port, portOf(first.embedded.url));

    assert.deepEqual(await first.migrate(), []);
    assert.equal(await first.ping(), true);
    const { rows } = await first.knex.raw<{ rows: { sum: number }[] }>('select 1 + 1 as sum');
    assert.equal(rows[0]?.sum, 2);

    // migrate() created the service's schema, and knex's search path points at it.
    await first.knex.schema.createTable('films', (table) => {
      table.increments('id');
      table.text('title').notNullable();
    });
    await first.knex('films').insert([{ title: 'Metropolis' }, { title: 'Nosferatu' }]);
    const { rows: tables } = await first.knex.raw<{ rows: { table_schema: string }[] }>(
      "select table_schema from information_schema.tables where table_name = 'films'",
    );
    assert.deepEqual(
      tables.map((row) => row.table_schema),
      ['service_one'],
    );
  });

  test('a new folder in a new process starts from the blank cluster kept on disk, not from initdb', async () => {
    const kept = await prepareBlankCluster();
    const before = (await stat(kept)).mtimeMs;
    const result = await runChild(`
      import { openDatabase } from ${JSON.stringify(platformIndex)};
      const db = await openDatabase({ dataDir: ${JSON.stringify(path.join(workDir, 'from-blank'))}, schema: 'fresh', migrations: ${JSON.stringify(noMigrations)} });
      const { rows } = await db.knex.raw("select current_setting('server_version_num')::int as version");
      await db.close();
      console.log(JSON.stringify({ version: rows[0].version }));
    `);
    assert.ok(Number(result.version) >= 150000, 'a working cluster');
    // initdb would have written a fresh copy over the kept one.
    assert.equal((await stat(kept)).mtimeMs, before, 'the kept blank cluster was used as it was');
  });

  test('a second openDatabase in the process shares the host and outlives the first close', async () => {
    second = await open('service_one');
    assert.equal(second.embedded?.url, first.embedded?.url);
    assert.equal(second.embedded?.hosting, true);
    await second.migrate();

    await first.close();
    await first.close(); // closing twice is harmless
    assert.equal(await second.ping(), true);
    const titles = await second.knex('service_one.films').orderBy('id').pluck('title');
    assert.deepEqual(titles, ['Metropolis', 'Nosferatu']);
    assert.equal((await readLockFile()).pid, process.pid);
  });

  test('another process connects to the host instead of hosting', async () => {
    const result = await runChild(`
      import { openDatabase } from ${JSON.stringify(platformIndex)};
      const options = { dataDir: ${JSON.stringify(dataDir)}, schema: 'service_one', migrations: ${JSON.stringify(noMigrations)} };
      const [db, sibling] = await Promise.all([openDatabase(options), openDatabase(options)]);
      const { rows } = await db.knex.raw('select count(*)::int as films from service_one.films');
      await db.knex('service_one.films').insert({ title: 'From the child' });
      const out = {
        hosting: db.embedded.hosting,
        siblingHosting: sibling.embedded.hosting,
        url: db.embedded.url,
        films: rows[0].films,
      };
      await sibling.close();
      await db.close();
      console.log(JSON.stringify(out));
    `);
    assert.equal(result.hosting, false);
    assert.equal(result.siblingHosting, false);
    assert.equal(result.url, second.embedded?.url);
    assert.equal(result.films, 2);
    // The child's close left the host running, and its insert landed in the shared database.
    assert.equal(await second.ping(), true);
    const titles = await second.knex('service_one.films').orderBy('id').pluck('title');
    assert.deepEqual(titles, ['Metropolis', 'Nosferatu', 'From the child']);
    assert.equal((await readLockFile()).pid, process.pid);
  });

  test('transactions from two clients are serialised', async () => {
    const url = second.embedded!.url;
    const writer = new pg.Client({ connectionString: url });
    const reader = new pg.Client({ connectionString: url });
    await writer.connect();
    await reader.connect();
    try {
      await writer.query('create table public.tickets (seat text primary key)');
      const count = async (client: pg.Client) =>
        (await client.query<{ n: number }>('select count(*)::int as n from public.tickets')).rows[0]?.n;

      // Committed: the reader waits for the whole transaction, then sees its row.
      await writer.query('begin');
      await writer.query("insert into public.tickets values ('A1')");
      assert.equal(await count(writer), 1); // visible inside the transaction
      let readAt = 0;
      const read = count(reader).then((n) => {
        readAt = performance.now();
        return n;
      });
      await sleep(300);
      assert.equal(readAt, 0, 'the reader must wait while the writer is inside a transaction');
      await writer.query("insert into public.tickets values ('A2')");
      const committedAt = performance.now();
      await writer.query('commit');
      assert.equal(await read, 2);
      assert.ok(readAt >= committedAt, 'the read completed after the commit');

      // Rolled back: the reader never sees the row, so it did not run inside the writer's transaction.
      await writer.query('begin');
      await writer.query("insert into public.tickets values ('B1')");
      const readDuringRollback = count(reader);
      await sleep(100);
      await writer.query('rollback');
      assert.equal(await readDuringRollback, 2);
      assert.equal(await count(writer), 2);
    } finally {
      await writer.end();
      await reader.end();
    }
  });

  test('one connection’s query cycle runs whole, even when it arrives in pieces between another’s', async () => {
    // A query with parameters is Parse, Bind, Describe, Execute, Sync on PGlite's one unnamed
    // statement and portal. Here A's cycle arrives in two pieces (as a big one does, in several
    // reads) and B's whole cycle arrives in between: B must wait for A's Sync, or A's Execute finds
    // B's portal, or none.
    const port = portOf(second.embedded!.url);
    const a = await RawConnection.open(port);
    const b = await RawConnection.open(port);
    try {
      a.send(parse("select 'A'::text as who, $1::int as n"), bind(['1']));
      await sleep(100);
      b.send(parse("select 'B'::text as who, $1::int + 1000 as n"), bind(['2']), describePortal(), execute(), sync());
      await sleep(100);
      a.send(describePortal(), execute(), sync());
      assert.deepEqual(await a.cycle(), { rows: [['A', '1']], errors: [] });
      assert.deepEqual(await b.cycle(), { rows: [['B', '1002']], errors: [] });
      // A connection that goes away in the middle of a cycle does not hold the others up.
      a.send(parse('select 1'));
      await sleep(50);
      a.close();
      b.send(parse('select 2 as two'), bind([]), describePortal(), execute(), sync());
      assert.deepEqual(await b.cycle(), { rows: [['2']], errors: [] });
      // Nor does one that goes away inside a transaction: it is rolled back, and the others go on.
      const c = await RawConnection.open(port);
      c.send(query('begin'));
      await c.cycle();
      c.send(query('create table public.half_done (id int)'));
      await c.cycle();
      b.send(query("select to_regclass('public.half_done')::text as found"));
      await sleep(100);
      c.close();
      assert.deepEqual(await b.cycle(), { rows: [[null]], errors: [] });
    } finally {
      a.close();
      b.close();
    }
  });

  test('closing the last handle stops the host and removes the lock', async () => {
    const url = second.embedded!.url;
    await second.close();
    assert.equal(await exists(lockFile()), false);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    await assert.rejects(client.connect());
  });

  test('data persists across a full close and reopen', async () => {
    const reopened = await open('service_one');
    try {
      assert.equal(reopened.embedded?.hosting, true);
      const titles = await reopened.knex('films').orderBy('id').pluck('title');
      assert.deepEqual(titles, ['Metropolis', 'Nosferatu', 'From the child']);
      const { rows } = await reopened.knex.raw<{ rows: { seat: string }[] }>(
        'select seat from public.tickets order by seat',
      );
      assert.deepEqual(
        rows.map((row) => row.seat),
        ['A1', 'A2'],
      );
    } finally {
      await reopened.close();
    }
  });

  test('reopening while the last close is still stopping waits for it', async () => {
    const events: string[] = [];
    const logger = createLogger({ service: 'test', destination: collect(events) });
    const closing = await openEmbeddedPostgres(dataDir, logger);
    let stopFinished = false;
    const stopped = closing.stop().then(() => (stopFinished = true));
    const next = await openEmbeddedPostgres(dataDir, logger);
    try {
      // Two PGlite instances must never have the folder open at once.
      assert.equal(stopFinished, true, 'the reopen resolved before the previous host had stopped');
      await stopped;
      assert.deepEqual(events, [
        'embedded PostgreSQL started',
        'embedded PostgreSQL stopped',
        'embedded PostgreSQL started',
      ]);
      assert.equal(next.hosting, true);
      const lock = JSON.parse(await readFile(rootLockFile(), 'utf8')) as { pid: number; port: number };
      assert.equal(lock.pid, process.pid);
      assert.equal(lock.port, portOf(next.url));
    } finally {
      await next.stop();
    }
  });

  test('a stale lock left by a dead process is taken over', async () => {
    const deadPid = 999_999;
    assert.throws(() => process.kill(deadPid, 0), { code: 'ESRCH' });
    await writeFile(lockFile(), JSON.stringify({ pid: deadPid, port: 1 }));
    const db = await open('service_one');
    try {
      assert.equal(db.embedded?.hosting, true);
      assert.notEqual(portOf(db.embedded!.url), 1);
      const lock = await readLockFile();
      assert.equal(lock.pid, process.pid);
      assert.equal(lock.port, portOf(db.embedded!.url));
      assert.equal(
        await db
          .knex('films')
          .count({ n: '*' })
          .first()
          .then((row) => Number(row?.n)),
        3,
      );
    } finally {
      await db.close();
    }
    assert.equal(await exists(lockFile()), false);
  });

  test('each service gets its own embedded database, so session settings never leak between them', async () => {
    const [one, two] = await Promise.all([open('service_one'), open('service_two')]);
    try {
      assert.notEqual(one.embedded?.url, two.embedded?.url);
      await two.migrate();
      await two.knex.schema.createTable('films', (table) => table.increments('id'));
      // Both resolve the unqualified name "films" to their own schema, whatever the other set.
      assert.equal(Number((await one.knex('films').count({ n: '*' }).first())?.n), 3);
      assert.equal(Number((await two.knex('films').count({ n: '*' }).first())?.n), 0);
      assert.equal(Number((await one.knex('films').count({ n: '*' }).first())?.n), 3);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
