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
 * PostgreSQL error codes (SQLSTATE) that mean "the server cannot serve this now", not "this request
 * is wrong": class 08 (connection exception), too many connections, shutting down or starting up,
 * a statement cancelled by statement_timeout, a session ended by idle_in_transaction_session_timeout.
 */
const unavailableSqlStates = new Set(['53300', '57P01', '57P02', '57P03', '57014', '25P03']);

/** Socket-level failures, from node-postgres or ioredis. */
const unavailableSocketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * node-postgres and knex say "the server is gone or silent" in messages only (knex prefixes the SQL
 * to a driver's message, so these are matched anywhere in it).
 */
const unavailableMessages = [
  'Connection terminated', // the server closed the connection, or pg's connect timeout fired
  'timeout expired', // pg: connectionTimeoutMillis
  'Query read timeout', // pg: query_timeout (the server did not answer)
  'Client has encountered a connection error and is not queryable',
  'Timeout acquiring a connection', // knex: acquireTimeoutMillis
];

/** Is `error` a store that is unavailable for now (as opposed to a bad query or a bug)? */
export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailable) return true;
  if (!(error instanceof Error)) return false;
  const { code, name } = error as Error & { code?: unknown };
  if (name === 'KnexTimeoutError') return true;
  if (typeof code === 'string') {
    if (unavailableSocketCodes.has(code) || unavailableSqlStates.has(code) || code.startsWith('08')) return true;
  }
  return unavailableMessages.some((message) => error.message.includes(message));
}
