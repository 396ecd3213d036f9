export { ConfigError, env, loadConfig } from './config.ts';
export { createLogger, redactedPaths, type LogFormat, type Logger, type LoggerOptions } from './logger.ts';
export { runService, type ServiceDefinition, type StartedService } from './run-service.ts';
export { createServiceMetrics, type ServiceMetrics } from './service-metrics.ts';
export { securityHeaders } from './security-headers.ts';
export * from './problem.ts';
export { acceptRequestId, currentRequestId, httpFetch, requestIdHeader, runWithRequestId } from './request-context.ts';
export {
  embeddedDatabaseDir,
  knexConfig,
  migrationsDir,
  openDatabase,
  repositoryRoot,
  resolveDataDir,
  statement,
  type Database,
  type DatabaseOptions,
  type Knex,
  type Statement,
} from './database.ts';
export {
  embeddedLockFile,
  openEmbeddedPostgres,
  prepareBlankCluster,
  type EmbeddedPostgres,
} from './embedded-postgres.ts';
export { openKeyValueStore, type KeyValueStore } from './key-value-store.ts';
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
