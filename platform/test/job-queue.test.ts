import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  defineQueue,
  enqueue,
  readJob,
  repositoryRoot,
  startWorker,
  type Database,
  type Job,
  type Queue,
  type Worker,
  type WorkerOptions,
} from '../src/index.ts';
import { onEachStore } from './throwaway-stores.ts';

/**
 * The durable job queue (platform/src/job-queue*.ts) on both stores: jobs commit with their
 * transaction, retry with backoff, fail for good after their attempts, survive a worker killed
 * mid-job, and never run on two workers at once.
 */
const schema = 'queue_test';
const migrations = path.join(import.meta.dirname, 'job-queue-migrations');

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await sleep(25);
  }
}

onEachStore({ schema, migrations }, (store) => {
  let db: Database;
  const workers: Worker[] = [];
  let queueCount = 0;
  /** Each test has its own queue, so that no job of one test reaches another's worker. */
  const newQueue = <P>(options: { maxAttempts?: number; retryDelayMs?: number } = {}): Queue<P> =>
    defineQueue<P>({ schema, name: `queue-${(queueCount += 1)}`, ...options });
  const work = <P>(queue: Queue<P>, handler: (job: Job<P>) => Promise<void>, options: WorkerOptions = {}, on = db) => {
    const worker = startWorker(on.knex, queue, handler, { pollIntervalMs: 100, ...options });
    workers.push(worker);
    return worker;
  };
  const job = async (queue: Queue<unknown>, id: string | null) => {
    assert.ok(id, 'the job was enqueued');
    const record = await readJob(db.knex, queue, id);
    assert.ok(record, `job ${id} exists`);
    return record;
  };

  before(async () => {
    db = await store().open();
    await db.knex.raw(
      `create table queue_test.handler_runs (job_id bigint not null, attempt int not null, pid int not null,
         outcome text not null, at timestamptz not null default clock_timestamp())`,
    );
  });

  test.afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });

  test('a job commits with its transaction and starts at once on a worker of this process', async () => {
    const queue = newQueue<{ film: string }>();
    const ran: Job<{ film: string }>[] = [];
    // A poll a minute away: only the in-process wake-up can start the job in time.
    work(queue, async (job) => void ran.push(job), { pollIntervalMs: 60_000 });
    await sleep(100); // the worker's first (empty) claim is behind it
    const enqueued = Date.now();
    const id = await db.knex.transaction(async (trx) => {
      await trx.raw('select 1'); // stands for the change that causes the job
      return enqueue(trx, queue, { film: 'Metropolis' });
    });
    await until(async () => (await job(queue, id)).state === 'completed', 'the job to complete');
    // Far below the minute a poll would take (and a loaded machine may take a few seconds).
    assert.ok(Date.now() - enqueued < 10_000, `done ${Date.now() - enqueued} ms after the commit`);
    assert.equal(ran.length, 1);
    assert.deepEqual(ran[0]?.payload, { film: 'Metropolis' });
    assert.equal(ran[0]?.attempt, 1);
    const record = await job(queue, id);
    assert.equal(record.attempts, 1);
    assert.ok(record.finishedAt instanceof Date);
    assert.equal(record.lockedUntil, null);
  });

  test('a job enqueued in a rolled-back transaction never exists and never runs', async () => {
    const queue = newQueue<string>();
    const ran: string[] = [];
    work(queue, async (job) => void ran.push(job.payload));
    await assert.rejects(
      db.knex.transaction(async (trx) => {
        await enqueue(trx, queue, 'never');
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    const committed = await enqueue(db.knex, queue, 'after');
    await until(async () => (await job(queue, committed)).state === 'completed', 'the committed job');
    await sleep(300);
    assert.deepEqual(ran, ['after']);
    const rows = await db.knex('jobs').withSchema(schema).where({ queue: queue.name }).count('* as n');
    assert.equal(Number(rows[0]?.n), 1, 'only the committed job is stored');
  });

  test('a failing job is retried after waits that double, then completes', async () => {
    const queue = newQueue<null>({ retryDelayMs: 300, maxAttempts: 5 });
    const starts: number[] = [];
    // A poll a minute away: each retry starts on the worker's own timer, when it is due.
    work(
      queue,
      async (job) => {
        starts.push(Date.now());
        if (job.attempt < 3) throw new Error(`boom ${job.attempt}`);
      },
      { pollIntervalMs: 60_000 },
    );
    const id = await enqueue(db.knex, queue, null);
    await until(async () => (await job(queue, id)).state === 'completed', 'the third attempt', 10_000);
    const [first, second, third] = starts as [number, number, number];
    assert.equal(starts.length, 3);
    assert.ok(second - first >= 290, `first wait ${second - first} ms (300 expected)`);
    assert.ok(third - second >= 590, `second wait ${third - second} ms (600 expected)`);
    assert.ok(third - second < 10_000, `second wait ${third - second} ms: retried when due, not at the poll`);
    const record = await job(queue, id);
    assert.equal(record.attempts, 3);
    assert.match(record.lastError ?? '', /boom 2/);
  });

  test('a job that keeps failing is marked failed after its attempts and kept for inspection', async () => {
    const queue = newQueue<{ n: number }>({ retryDelayMs: 20, maxAttempts: 3 });
    let runs = 0;
    work(queue, async (job) => {
      runs += 1;
      throw new Error(`boom ${job.attempt}`);
    });
    const id = await enqueue(db.knex, queue, { n: 1 });
    await until(async () => (await job(queue, id)).state === 'failed', 'the job to fail');
    await sleep(300);
    assert.equal(runs, 3, 'no run after the last attempt');
    const record = await job(queue, id);
    assert.equal(record.attempts, 3);
    assert.equal(record.maxAttempts, 3);
    assert.equal(record.lastError, 'Error: boom 3');
    assert.deepEqual(record.payload, { n: 1 });
    assert.ok(record.finishedAt instanceof Date);
  });

  test('a worker killed mid-job leaves the job to another worker, which completes it once', async () => {
    const queue = newQueue<{ label: string }>({ retryDelayMs: 0 });
    const id = await enqueue(db.knex, queue, { label: 'crash me' });
    const runs = () =>
      db
        .knex('handler_runs')
        .withSchema(schema)
        .where({ job_id: id })
        .orderBy('at')
        .select('attempt', 'pid', 'outcome');

    const child = spawnWorker({ location: store().location, queue: queue.name, leaseMs: 1500 });
    try {
      await until(async () => (await runs()).length === 1, 'the child worker to start the job', 30_000);
      assert.equal((await job(queue, id)).state, 'running');
      child.process.kill('SIGKILL');
      await child.exited;
    } finally {
      child.process.kill('SIGKILL');
    }

    work(
      queue,
      async (job) => {
        await db.knex('handler_runs').withSchema(schema).insert({
          job_id: job.id,
          attempt: job.attempt,
          pid: process.pid,
          outcome: 'completed',
        });
      },
      { leaseMs: 1500 },
    );
    await until(async () => (await job(queue, id)).state === 'completed', 'the job to complete after the lease');
    await sleep(500); // time for a wrong third run to show
    assert.deepEqual(await runs(), [
      { attempt: 1, pid: child.process.pid, outcome: 'started' },
      { attempt: 2, pid: process.pid, outcome: 'completed' },
    ]);
    assert.equal((await job(queue, id)).attempts, 2);
  });

  test('a job whose worker died on its last attempt is marked failed, not run again', async () => {
    const queue = newQueue<null>({ maxAttempts: 1 });
    const id = await enqueue(db.knex, queue, null);
    // What a worker that claimed the job and died leaves behind: running, its lease passed.
    await db
      .knex('jobs')
      .withSchema(schema)
      .where({ id })
      .update({
        state: 'running',
        attempts: 1,
        lease: db.knex.raw('gen_random_uuid()'),
        locked_until: db.knex.raw(`now() - interval '1 second'`),
      });
    let runs = 0;
    work(queue, async () => void (runs += 1), { leaseMs: 200 });
    await until(async () => (await job(queue, id)).state === 'failed', 'the job to be failed');
    assert.equal(runs, 0);
    assert.match((await job(queue, id)).lastError ?? '', /lease passed/);
  });

  test('a running worker renews its lease: another worker never takes a long job', async () => {
    const queue = newQueue<null>();
    const other = await store().open();
    let runs = 0;
    const handler = async () => {
      runs += 1;
      await sleep(1500);
    };
    work(queue, handler, { leaseMs: 400 });
    work(queue, handler, { leaseMs: 400 }, other);
    const id = await enqueue(db.knex, queue, null);
    await until(async () => (await job(queue, id)).state === 'running', 'the job to start');
    const firstLease = (await job(queue, id)).lockedUntil;
    await until(async () => (await job(queue, id)).state === 'completed', 'the job to complete');
    assert.equal(runs, 1, 'run by one worker only, although its lease was renewed several times');
    assert.ok(firstLease instanceof Date);
  });

  test('two workers with several jobs each in flight never run one job twice or at once', async () => {
    const queue = newQueue<number>();
    const other = await store().open();
    const active = new Set<number>();
    const runs = new Map<number, number>();
    const byWorker = [0, 0];
    let overlaps = 0;
    const handlerOf = (worker: 0 | 1) => async (job: Job<number>) => {
      if (active.has(job.payload)) overlaps += 1;
      active.add(job.payload);
      runs.set(job.payload, (runs.get(job.payload) ?? 0) + 1);
      byWorker[worker] = (byWorker[worker] ?? 0) + 1;
      await sleep(20);
      active.delete(job.payload);
    };
    work(queue, handlerOf(0), { concurrency: 3 });
    work(queue, handlerOf(1), { concurrency: 3 }, other);
    const count = 40;
    await db.knex.transaction(async (trx) => {
      for (let n = 0; n < count; n += 1) await enqueue(trx, queue, n);
    });
    await until(async () => {
      const done = await db
        .knex('jobs')
        .withSchema(schema)
        .where({ queue: queue.name, state: 'completed' })
        .count('* as n');
      return Number(done[0]?.n) === count;
    }, 'every job to complete');
    assert.equal(overlaps, 0);
    assert.equal(runs.size, count);
    assert.ok(
      [...runs.values()].every((times) => times === 1),
      'each job ran once',
    );
    assert.ok(
      byWorker.every((jobs) => jobs > 0),
      `both workers ran jobs: ${byWorker.join(' and ')}`,
    );
  });

  test('a claim skips a job another transaction has locked (the embedded database: waits for it)', async () => {
    const queue = newQueue<string>();
    const ran: string[] = [];
    const locked = await enqueue(db.knex, queue, 'locked');
    await enqueue(db.knex, queue, 'free');
    const other = await store().open();
    const trx = await other.knex.transaction();
    try {
      await trx.raw('select id from queue_test.jobs where id = ? for update', [locked]);
      work(queue, async (job) => void ran.push(job.payload));
      if (store().kind === 'server') {
        await until(() => ran.includes('free'), 'the free job to run while the other is locked', 3000);
        assert.deepEqual(ran, ['free']);
      } else {
        // One session for every connection: the open transaction holds back every other statement,
        // the claim included, which runs (and finds both jobs) as soon as it ends.
        await sleep(500);
        assert.deepEqual(ran, []);
      }
    } finally {
      await trx.commit();
    }
    await until(() => ran.includes('locked') && ran.includes('free'), 'both jobs to run once released');
    assert.equal(ran.length, 2);
  });

  test('stop lets the running job finish; a delayed job waits for its time; a singleton key adds one job', async () => {
    const queue = newQueue<string>();
    const ran: string[] = [];
    const worker = work(queue, async (job) => {
      await sleep(job.payload === 'slow' ? 500 : 0);
      ran.push(job.payload);
    });
    const slow = await enqueue(db.knex, queue, 'slow');
    await until(async () => (await job(queue, slow)).state === 'running', 'the slow job to start');
    await worker.stop();
    assert.deepEqual(ran, ['slow']);
    assert.equal((await job(queue, slow)).state, 'completed');

    const delayed = await enqueue(db.knex, queue, 'delayed', { runAt: new Date(Date.now() + 800) });
    const first = await enqueue(db.knex, queue, 'once', { singletonKey: 'film-42' });
    const second = await enqueue(db.knex, queue, 'twice', { singletonKey: 'film-42' });
    assert.ok(first);
    assert.equal(second, null, 'a job with the key is waiting: nothing added');
    const started = Date.now();
    work(queue, async (job) => void ran.push(job.payload));
    await until(async () => (await job(queue, delayed)).state === 'completed', 'the delayed job');
    assert.ok(Date.now() - started >= 700, `the delayed job ran ${Date.now() - started} ms after`);
    assert.deepEqual(ran, ['slow', 'once', 'delayed']);
    assert.ok(await enqueue(db.knex, queue, 'again', { singletonKey: 'film-42' }), 'the key is free once done');
  });
});

interface SpawnedWorker {
  process: ChildProcess;
  exited: Promise<void>;
}

function spawnWorker(options: { location: object; queue: string; leaseMs: number }): SpawnedWorker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'job-worker-process.ts'), JSON.stringify(options)],
    { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  void exited.then(() => {
    if (stderr.trim()) process.stderr.write(`worker process: ${stderr}\n`);
  });
  return { process: child, exited };
}
