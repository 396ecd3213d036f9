import { z } from 'zod';
import { defaultDatabaseTimeouts, type DatabaseTimeouts } from './database.ts';
import { defaultRedisTimeouts, type RedisTimeouts } from './key-value-store.ts';

const milliseconds = (fallback: number, min: number) => z.coerce.number().int().min(min).max(60_000).default(fallback);

/**
 * The settings bounding every call to PostgreSQL and Redis, spread into each service's settings
 * schema so that every service reads the same names (README: "When a store is down").
 */
export const storeTimeoutSettings = {
  DATABASE_CONNECT_TIMEOUT_MS: milliseconds(defaultDatabaseTimeouts.connectTimeoutMs, 100),
  /** 0 switches the statement limit off (and with it the client's wait for a silent server). */
  DATABASE_STATEMENT_TIMEOUT_MS: milliseconds(defaultDatabaseTimeouts.statementTimeoutMs, 0),
  /** 0 switches the limit off. */
  DATABASE_IDLE_TRANSACTION_TIMEOUT_MS: milliseconds(defaultDatabaseTimeouts.idleInTransactionTimeoutMs, 0),
  REDIS_COMMAND_TIMEOUT_MS: milliseconds(defaultRedisTimeouts.commandTimeoutMs, 50),
  REDIS_CONNECT_TIMEOUT_MS: milliseconds(defaultRedisTimeouts.connectTimeoutMs, 100),
};

export type StoreTimeoutSettings = { readonly [Name in keyof typeof storeTimeoutSettings]: number };

export function databaseTimeouts(settings: StoreTimeoutSettings): DatabaseTimeouts {
  return {
    connectTimeoutMs: settings.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: settings.DATABASE_STATEMENT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: settings.DATABASE_IDLE_TRANSACTION_TIMEOUT_MS,
  };
}

/**
 * The same bounds for a command an operator runs (the CLIs): no statement timeout, since an import
 * or a key rotation may wait for a lock or run long, and the operator stops it with Ctrl-C.
 */
export function commandLineDatabaseTimeouts(settings: StoreTimeoutSettings): DatabaseTimeouts {
  return { ...databaseTimeouts(settings), statementTimeoutMs: 0 };
}

export function redisTimeouts(settings: StoreTimeoutSettings): RedisTimeouts {
  return {
    commandTimeoutMs: settings.REDIS_COMMAND_TIMEOUT_MS,
    connectTimeoutMs: settings.REDIS_CONNECT_TIMEOUT_MS,
  };
}
