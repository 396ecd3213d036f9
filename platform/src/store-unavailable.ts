import { isConnectionError, sqlState } from './database-errors.ts';

/**
 * A store (PostgreSQL or Redis) that is down, refusing, silent or too slow: a temporary condition
 * that clients should answer by retrying later (503 with Retry-After, or the OAuth error
 * `temporarily_unavailable`), never a 500. The key-value store throws this class itself; errors of
 * the database drivers are recognised by `isStoreUnavailable`.
 */
export class StoreUnavailable extends Error {
  readonly store: 'database' | 'redis';

  constructor(store: 'database' | 'redis', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailable';
    this.store = store;
  }
}

/** Seconds a client is asked to wait (Retry-After) when a store is unavailable. */
export const storeRetryAfterSeconds = 5;

/**
 * Beyond a broken connection (`isConnectionError`), a statement cancelled by statement_timeout and a
 * session ended by idle_in_transaction_session_timeout: the server is too slow to serve this now.
 */
const overloadSqlStates = new Set(['57014', '25P03']);

/**
 * Is `error` a store that is unavailable for now (as opposed to a bad query or a bug)? Redis errors
 * reach here as StoreUnavailable (the key-value store throws it); database errors are recognised by
 * platform's one reading of driver errors, `isConnectionError`.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailable) return true;
  if (isConnectionError(error)) return true;
  // ioredis, used directly (the rate limiter's client): it gave up on a command, or the connection is gone.
  if (typeof error !== 'object' || error === null) return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  if (name === 'MaxRetriesPerRequestError' || message === 'Connection is closed.') return true;
  const state = sqlState(error);
  return state !== undefined && overloadSqlStates.has(state);
}
