import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { queueKey, type Queue } from './job-queue.ts';
import { jobsTableOf } from './job-queue-tables.ts';
import { onEnqueued } from './job-queue-wake.ts';

/**
 * Runs a queue's jobs. Delivery is at least once: a worker that dies mid-job (or loses its lease)
 * leaves the job to run again elsewhere, so handlers must be idempotent (a second run of a finished
 * job changes nothing). Every claim, renewal and outcome is one autocommitted statement: no
 * transaction stays open while a handler runs, which on the embedded database (one connection per
 * process, one session for all) would stop everything else.
 */

/** One run of a job, as its handler sees it. */
export interface Job<Payload> {
  id: string;
  queue: string;
  payload: Payload;
  /** This run's number, from 1. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when this worker lost the job's lease: another worker may be running it already. */
  signal: AbortSignal;
}

/** Resolves when the job is done; a throw (or rejection) is a failed run, retried with backoff. */
export type JobHandler<Payload> = (job: Job<Payload>) => Promise<void>;

export interface WorkerOptions {
  /** Jobs run at once by this worker (default 1). */
  concurrency?: number;
  /** How often to look for jobs enqueued by other processes, or come due (default 1000 ms). */
  pollIntervalMs?: number;
  /** How long a claim holds a job without renewal (default 30 s); renewed every third of it. */
  leaseMs?: number;
  /** Completed jobs are deleted after this long (default one day); failed ones are kept. */
  keepCompletedMs?: number;
  logger?: Logger | undefined;
}

export interface Worker {
  /** Stops claiming, lets the running jobs finish, then resolves. */
  stop(): Promise<void>;
}

interface ClaimedRow {
  id: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  lease: string;
}

/** The longest wait between two runs of a job, however many runs failed. */
const maxRetryDelayMs = 3_600_000;
/** A failure's text kept on the job: enough to know what happened, not a whole dump. */
const maxErrorLength = 2000;

const errorText = (error: unknown) =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, maxErrorLength);

export function startWorker<Payload>(
  knex: Knex,
  queue: Queue<Payload>,
  handler: JobHandler<Payload>,
  options: WorkerOptions = {},
): Worker {
  const concurrency = options.concurrency ?? 1;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const leaseMs = options.leaseMs ?? 30_000;
  const keepCompletedMs = options.keepCompletedMs ?? 86_400_000;
  const log = options.logger?.child({ queue: queue.name });
  const table = jobsTableOf(queue.schema);
  const leaseSeconds = leaseMs / 1000;

  const running = new Set<Promise<void>>();
  let stopping = false;
  /** Set by anything that may let a claim find work (an enqueue, a free slot, a retry come due). */
  let nudged = false;
  let interruptWait: (() => void) | null = null;
  const nudge = () => {
    nudged = true;
    interruptWait?.();
  };
  const unsubscribe = onEnqueued(queueKey(queue), nudge);
  const retryTimers = new Set<NodeJS.Timeout>();
  let lastMaintenance = 0;

  const claim = async (count: number) =>
    (
      (await knex.raw(
        `with next as materialized (
           select id from ??
           where queue = ?
             and ((state = 'queued' and run_at <= now())
               or (state = 'running' and locked_until <= now() and attempts < max_attempts))
           order by run_at, id
           limit ?
           for update skip locked
         )
         update ?? as job
         set state = 'running', attempts = job.attempts + 1, lease = gen_random_uuid(),
             locked_until = now() + make_interval(secs => ?)
         from next where job.id = next.id
         returning job.id, job.payload, job.attempts, job.max_attempts, job.lease`,
        [table, queue.name, count, table, leaseSeconds],
      )) as { rows: ClaimedRow[] }
    ).rows;

  /**
   * Jobs whose worker died on their last attempt are failed here rather than claimed again (a job
   * that kills its worker must not kill every worker forever); completed jobs past their time go.
   * Runs at most once per lease period: nothing it looks for can change faster.
   */
  const maintain = async () => {
    if (Date.now() - lastMaintenance < leaseMs) return;
    lastMaintenance = Date.now();
    const lost = (await knex.raw(
      `update ?? set state = 'failed', finished_at = now(), locked_until = null, lease = null,
         last_error = 'the worker running the last attempt stopped (its lease passed)'
       where queue = ? and state = 'running' and locked_until <= now() and attempts >= max_attempts
       returning id`,
      [table, queue.name],
    )) as { rows: { id: string }[] };
    for (const { id } of lost.rows) log?.error({ job: id }, 'job failed: its worker stopped on the last attempt');
    await knex.raw(
      `delete from ?? where queue = ? and state = 'completed' and finished_at < now() - make_interval(secs => ?)`,
      [table, queue.name, keepCompletedMs / 1000],
    );
  };

  const renew = async (row: ClaimedRow, controller: AbortController) => {
    try {
      const renewed = (await knex.raw(
        `update ?? set locked_until = now() + make_interval(secs => ?)
         where id = ? and lease = ? and state = 'running' returning id`,
        [table, leaseSeconds, row.id, row.lease],
      )) as { rows: unknown[] };
      if (!renewed.rows.length && !controller.signal.aborted) {
        log?.warn({ job: row.id }, 'job lease lost while running; it may run elsewhere too');
        controller.abort(new Error('the job lease was lost'));
      }
    } catch (error) {
      log?.warn({ err: error, job: row.id }, 'job lease renewal failed; retrying');
    }
  };

  const complete = async (row: ClaimedRow) => {
    const done = (await knex.raw(
      `update ?? set state = 'completed', finished_at = now(), locked_until = null, lease = null
       where id = ? and lease = ? and state = 'running' returning id`,
      [table, row.id, row.lease],
    )) as { rows: unknown[] };
    if (!done.rows.length) log?.warn({ job: row.id }, 'job finished after its lease was lost; it may run again');
  };

  const fail = async (row: ClaimedRow, error: unknown) => {
    // The delay is worked out by the database, on its clock, like every other time in the table.
    const failed = (await knex.raw(
      `update ?? set
         state = case when attempts >= max_attempts then 'failed' else 'queued' end,
         finished_at = case when attempts >= max_attempts then now() end,
         run_at = now() + make_interval(secs => least(retry_delay_ms * power(2, attempts - 1), ?) / 1000.0),
         locked_until = null, lease = null, last_error = ?
       where id = ? and lease = ? and state = 'running'
       returning state, greatest(0, extract(epoch from run_at - now()) * 1000)::float8 as delay_ms`,
      [table, maxRetryDelayMs, errorText(error), row.id, row.lease],
    )) as { rows: { state: string; delay_ms: number }[] };
    const outcome = failed.rows[0];
    if (!outcome) {
      log?.warn({ err: error, job: row.id }, 'job failed after its lease was lost');
    } else if (outcome.state === 'failed') {
      log?.error({ err: error, job: row.id, attempt: row.attempts }, 'job failed on its last attempt');
    } else {
      log?.warn(
        { err: error, job: row.id, attempt: row.attempts, retryInMs: outcome.delay_ms },
        'job failed; retrying',
      );
      // Our own retry: no need to wait for the next poll once it is due.
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        nudge();
      }, outcome.delay_ms + 5);
      timer.unref();
      retryTimers.add(timer);
    }
  };

  const run = async (row: ClaimedRow) => {
    const controller = new AbortController();
    const renewal = setInterval(() => void renew(row, controller), leaseMs / 3);
    try {
      try {
        await handler({
          id: row.id,
          queue: queue.name,
          payload: row.payload as Payload,
          attempt: row.attempts,
          maxAttempts: row.max_attempts,
          signal: controller.signal,
        });
      } catch (error) {
        await fail(row, error);
        return;
      }
      await complete(row);
    } catch (error) {
      // The outcome could not be written (database down): the lease passes and the job runs again.
      log?.error({ err: error, job: row.id }, 'job outcome not recorded; it will run again');
    } finally {
      clearInterval(renewal);
    }
  };

  const start = (row: ClaimedRow) => {
    const task = run(row).finally(() => {
      running.delete(task);
      nudge(); // a slot is free
    });
    running.add(task);
  };

  const waitForNudge = () =>
    new Promise<void>((resolve) => {
      if (nudged || stopping) return resolve();
      const timer = setTimeout(finish, pollIntervalMs);
      function finish() {
        clearTimeout(timer);
        interruptWait = null;
        resolve();
      }
      interruptWait = finish;
    });

  const loop = async () => {
    while (!stopping) {
      nudged = false;
      const free = concurrency - running.size;
      if (free > 0) {
        try {
          await maintain();
          for (const row of await claim(free)) start(row);
        } catch (error) {
          log?.warn({ err: error }, 'job claim failed; retrying at the next poll');
        }
      }
      // A nudge during the claim (an enqueue, a job done) means look again at once.
      await waitForNudge();
    }
  };

  const looping = loop();

  return {
    async stop() {
      stopping = true;
      interruptWait?.();
      unsubscribe();
      for (const timer of retryTimers) clearTimeout(timer);
      await looping;
      await Promise.all(running);
    },
  };
}
