export { ConfigError, env, loadConfig } from './config.ts';
export { createLogger, redactedPaths, type LogFormat, type Logger, type LoggerOptions } from './logger.ts';
export { runService, type ServiceDefinition, type StartedService } from './run-service.ts';
export { createServiceMetrics, type ServiceMetrics } from './service-metrics.ts';
export { securityHeaders } from './security-headers.ts';
export { metricsGuard, type MetricsGuard } from './metrics-access.ts';
export * from './problem.ts';
export { acceptRequestId, currentRequestId, httpFetch, requestIdHeader, runWithRequestId } from './request-context.ts';
export {
  defaultDatabaseTimeouts,
  embeddedDatabaseDir,
  knexConfig,
  migrationsDir,
  openDatabase,
  repositoryRoot,
  resolveDataDir,
  statement,
  type Database,
  type DatabaseOptions,
  type DatabaseTimeouts,
  type Knex,
  type Statement,
} from './database.ts';
export {
  embeddedLockFile,
  openEmbeddedPostgres,
  prepareBlankCluster,
  type EmbeddedPostgres,
} from './embedded-postgres.ts';
export { defaultRedisTimeouts, openKeyValueStore, type KeyValueStore, type RedisTimeouts } from './key-value-store.ts';
export { isStoreUnavailable, StoreUnavailable, storeRetryAfterSeconds } from './store-unavailable.ts';
export {
  commandLineDatabaseTimeouts,
  databaseTimeouts,
  redisTimeouts,
  storeTimeoutSettings,
  type StoreTimeoutSettings,
} from './store-settings.ts';
export { clientIp, compileTrust, normalizeIp, type TrustProxy } from './client-ip.ts';
export {
  createRateLimiter,
  type RateLimiter,
  type RateLimitOptions,
  type RateLimitState,
  type RateLimitVerdict,
} from './rate-limiter.ts';
export { unstorableCharacterIn, type UnstorableCharacter } from './storable-text.ts';
export { stopOnSignals, type GracefulStopOptions } from './graceful-stop.ts';
export {
  constraintName,
  isCheckViolation,
  isConnectionError,
  isDeadlock,
  isForeignKeyViolation,
  isSerializationFailure,
  isTransactionConflict,
  isUniqueViolation,
  sqlState,
} from './database-errors.ts';
export {
  pagedList,
  pageParameters,
  readWindow,
  windowOf,
  type PagedList,
  type PageLimits,
  type PageRequest,
  type PageWindow,
  type RowsPage,
} from './offset-paging.ts';
export {
  decodeCursor,
  encodeCursor,
  InvalidCursor,
  keysetPositionOf,
  keysetQuery,
  readKeysetPage,
  type Keyset,
  type KeysetPage,
  type KeysetPageRequest,
  type KeysetPosition,
} from './keyset-paging.ts';
export {
  defineQueue,
  enqueue,
  readJob,
  type EnqueueOptions,
  type JobRecord,
  type JobState,
  type Queue,
  type QueueOptions,
} from './job-queue.ts';
export { createJobTables, dropJobTables, jobsTable } from './job-queue-tables.ts';
export { startWorker, type Job, type JobHandler, type Worker, type WorkerOptions } from './job-queue-worker.ts';
export {
  CliError,
  describeFailure,
  executeCli,
  exitCodes,
  runCli,
  UsageError,
  type CliOutput,
  type CliProgram,
} from './cli-runner.ts';
export { createProgressBar, type ProgressBar, type ProgressBarOptions } from './progress-bar.ts';
