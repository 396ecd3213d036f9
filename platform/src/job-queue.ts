import type { Knex } from 'knex';
import { jobsTableOf } from './job-queue-tables.ts';
import { wakeAfterCommit } from './job-queue-wake.ts';

/**
 * A durable job queue on the service's own PostgreSQL (the embedded one too): a job is a row written
 * in the transaction of the change that causes it, so it exists exactly when the change committed.
 * Workers (job-queue-worker.ts) claim, retry and recover jobs; see platform/README.md for why this is
 * our own and not pg-boss.
 */

/** A queue: its jobs' payload type, where they live, and how often they are tried. */
export interface Queue<Payload> {
  readonly schema: string;
  readonly name: string;
  /** Runs of a job before it is marked failed (a run whose worker died counts). */
  readonly maxAttempts: number;
  /** The wait before the second run; each later wait doubles, up to an hour. */
  readonly retryDelayMs: number;
  /** Carries the payload type from the definition to enqueue and the worker; never set. */
  readonly payloadType?: Payload;
}

export interface QueueOptions {
  schema: string;
  name: string;
  maxAttempts?: number;
  retryDelayMs?: number;
}

export function defineQueue<Payload>(options: QueueOptions): Queue<Payload> {
  const maxAttempts = options.maxAttempts ?? 10;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError('maxAttempts must be an integer ≥ 1');
  if (!Number.isInteger(retryDelayMs) || retryDelayMs < 0) throw new RangeError('retryDelayMs must be an integer ≥ 0');
  return Object.freeze({ schema: options.schema, name: options.name, maxAttempts, retryDelayMs });
}

/** The key workers of this process listen on for wake-ups. */
export const queueKey = (queue: Queue<unknown>) => `${queue.schema}.${queue.name}`;

export interface EnqueueOptions {
  /** Not before this time (a delayed job). */
  runAt?: Date | undefined;
  /** One piece of work: while a job with this key waits or runs, enqueuing another adds nothing. */
  singletonKey?: string | undefined;
  /** This job's own limit instead of the queue's. */
  maxAttempts?: number | undefined;
}

/**
 * Adds a job in `db`, normally the transaction of the change that causes it: the job commits with
 * the change or not at all. Answers the job's id, or null when a job with the same singleton key is
 * already waiting or running.
 */
export async function enqueue<Payload>(
  db: Knex,
  queue: Queue<Payload>,
  payload: Payload,
  options: EnqueueOptions = {},
): Promise<string | null> {
  const maxAttempts = options.maxAttempts ?? queue.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError('maxAttempts must be an integer ≥ 1');
  const json = JSON.stringify(payload) as string | undefined;
  if (json === undefined) throw new TypeError('a job payload is a JSON value');
  const result = (await db.raw(
    `insert into ?? (queue, payload, max_attempts, retry_delay_ms, run_at, singleton_key)
     values (?, ?::jsonb, ?, ?, coalesce(?::timestamptz, now()), ?)
     on conflict (queue, singleton_key) where state in ('queued', 'running') do nothing
     returning id`,
    [
      jobsTableOf(queue.schema),
      queue.name,
      json,
      maxAttempts,
      queue.retryDelayMs,
      options.runAt ?? null,
      options.singletonKey ?? null,
    ],
  )) as { rows: { id: string }[] };
  const id = result.rows[0]?.id ?? null;
  if (id !== null) wakeAfterCommit(db, queueKey(queue));
  return id;
}

export type JobState = 'queued' | 'running' | 'completed' | 'failed';

/** A job as stored, for inspection (a failed job keeps its last error). */
export interface JobRecord<Payload> {
  id: string;
  queue: string;
  payload: Payload;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAt: Date;
  lockedUntil: Date | null;
  singletonKey: string | null;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export async function readJob<Payload>(
  db: Knex,
  queue: Queue<Payload>,
  id: string,
): Promise<JobRecord<Payload> | null> {
  const row = (await db(jobsTableOf(queue.schema))
    .where({ id, queue: queue.name })
    .first(
      'id',
      'queue',
      'payload',
      'state',
      'attempts',
      'max_attempts as maxAttempts',
      'run_at as runAt',
      'locked_until as lockedUntil',
      'singleton_key as singletonKey',
      'last_error as lastError',
      'created_at as createdAt',
      'finished_at as finishedAt',
    )) as JobRecord<Payload> | undefined;
  return row ?? null;
}
