import type { Knex } from 'knex';

/**
 * In-process wake-ups: a job enqueued in this process starts at once on a worker of this process,
 * instead of at its next poll. Workers of other processes find it when they poll. A wake that finds
 * nothing to do (another worker was faster) costs one claim query.
 */
const listeners = new Map<string, Set<() => void>>();

export function onEnqueued(key: string, listener: () => void): () => void {
  let set = listeners.get(key);
  if (!set) listeners.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (!set.size && listeners.get(key) === set) listeners.delete(key);
  };
}

function wake(key: string): void {
  for (const listener of listeners.get(key) ?? []) listener();
}

/**
 * Wakes the workers of `key` once what `db` wrote is visible to them: after the commit when `db` is
 * a transaction (never, when it rolls back), at once otherwise.
 */
export function wakeAfterCommit(db: Knex, key: string): void {
  if (!listeners.has(key)) return;
  if (db.isTransaction) {
    (db as Knex.Transaction).executionPromise.then(
      () => wake(key),
      () => {}, // rolled back: the job never existed; the caller sees the rejection on its own promise
    );
  } else wake(key);
}
