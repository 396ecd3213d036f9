import type { Knex } from 'knex';

/** The jobs of every queue of a service, in that service's own schema. */
export const jobsTable = 'jobs';

export const jobsTableOf = (schema: string) => `${schema}.${jobsTable}`;

/**
 * Creates the jobs table; a service calls it from one of its own migrations, e.g.
 * `export const up = (knex: Knex) => createJobTables(knex, 'files');`
 *
 * A job is `queued` (due at `run_at`), `running` (leased until `locked_until` by the holder of
 * `lease`), `completed` or `failed` (kept for inspection, with `last_error`). A running job whose
 * lease has passed belongs to a worker that died: it is claimable again.
 */
export async function createJobTables(knex: Knex, schema: string): Promise<void> {
  const table = jobsTableOf(schema);
  await knex.raw(
    `create table ?? (
      id bigint generated always as identity primary key,
      queue text not null,
      payload jsonb not null,
      state text not null default 'queued' check (state in ('queued', 'running', 'completed', 'failed')),
      attempts integer not null default 0,
      max_attempts integer not null check (max_attempts >= 1),
      retry_delay_ms integer not null check (retry_delay_ms >= 0),
      run_at timestamptz not null default now(),
      locked_until timestamptz,
      lease uuid,
      singleton_key text,
      last_error text,
      created_at timestamptz not null default now(),
      finished_at timestamptz
    )`,
    [table],
  );
  // What a claim reads: due jobs, and leases that have passed, each a range of a small partial index.
  await knex.raw(`create index jobs_due on ?? (queue, run_at) where state = 'queued'`, [table]);
  await knex.raw(`create index jobs_leased on ?? (queue, locked_until) where state = 'running'`, [table]);
  // One waiting or running job per singleton key (enqueue skips a second one).
  await knex.raw(
    `create unique index jobs_singleton on ?? (queue, singleton_key) where state in ('queued', 'running')`,
    [table],
  );
  await knex.raw(`create index jobs_completed on ?? (finished_at) where state = 'completed'`, [table]);
}

/** The migration's `down`. */
export async function dropJobTables(knex: Knex, schema: string): Promise<void> {
  await knex.raw('drop table if exists ??', [jobsTableOf(schema)]);
}
