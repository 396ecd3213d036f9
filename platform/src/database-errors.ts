/**
 * What a failed query means, read from the error node-postgres (or knex) threw: services map these
 * to their own answers (409 for a duplicate, 503 for a database that cannot be reached) instead of
 * comparing SQLSTATE codes by hand in each store.
 */

/** The SQLSTATE of a server error (`23505`...), or undefined for anything else. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  // Node's own errors (ECONNREFUSED...) have codes too, never five characters of digits and capitals.
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Two rows would share a key of a unique index or constraint. */
export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === '23505';

/** A row names a parent that does not exist, or a parent still has children. */
export const isForeignKeyViolation = (error: unknown): boolean => sqlState(error) === '23503';

/** A value fails a `check` constraint. */
export const isCheckViolation = (error: unknown): boolean => sqlState(error) === '23514';

/** A serializable (or repeatable read) transaction lost a conflict: run it again. */
export const isSerializationFailure = (error: unknown): boolean => sqlState(error) === '40001';

/** Two transactions waited for each other; PostgreSQL cancelled this one: run it again. */
export const isDeadlock = (error: unknown): boolean => sqlState(error) === '40P01';

/** A conflict with another transaction that the same work, run again, normally gets past. */
export const isTransactionConflict = (error: unknown): boolean => isSerializationFailure(error) || isDeadlock(error);

/** The constraint a violation names (`users_email_unique`), when the server said which. */
export function constraintName(error: unknown): string | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return typeof constraint === 'string' && sqlState(error) !== undefined ? constraint : undefined;
}

/** Socket-level failures: nothing answered, or the connection broke. */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Server codes that mean "this connection is gone or no connection can be had": class 08
 * (connection exception), the server shutting down or restarting (57P01..57P03), and too many
 * connections (53300).
 */
const unavailableStates = /^(08...|57P0[123]|53300)$/;

/** node-postgres's own messages when a connection ends or never completes (it gives them no code). */
const clientMessages = [
  'Connection terminated',
  'timeout expired',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/**
 * The database could not be reached or the connection broke (refused, reset, terminated, a connect
 * or pool-acquire timeout): the answer is "unavailable, try later" (503), never "you sent something
 * wrong". A query error on a healthy connection (a syntax or constraint error) is not one.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Connecting to a name with several addresses (localhost: ::1 and 127.0.0.1) fails with all of them.
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.every(isConnectionError);
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && networkCodes.has(code)) return true;
  const state = sqlState(error);
  if (state !== undefined) return unavailableStates.test(state);
  // knex's pool: no connection became free (or could be made) within acquireConnectionTimeout.
  if (error.name === 'KnexTimeoutError') return true;
  return clientMessages.some((text) => error.message.includes(text));
}
