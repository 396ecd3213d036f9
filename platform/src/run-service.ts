import { createServer, type RequestListener, type Server } from 'node:http';
import { ConfigError } from './config.ts';
import { stopOnSignals } from './graceful-stop.ts';
import type { Database } from './database.ts';
import type { KeyValueStore } from './key-value-store.ts';
import { createLogger, type LogFormat, type Logger } from './logger.ts';

/** What a service's start-up hands back: its HTTP handler, where to listen, and what to release on stop. */
export interface StartedService {
  handler: RequestListener;
  port: number;
  host: string;
  /** Fields of the "<name> ready" line (URLs). */
  describe?: Record<string, unknown>;
  /**
   * The stores the service opened: the ready line names their kinds, and they are closed last on
   * stop (the key-value store, then the database), after `release`.
   */
  stores?: { database: Database; keyValue: KeyValueStore };
  /** Releases what the service's app holds (feeds, timers, workers), after the server has drained. */
  release(): Promise<void>;
}

async function releaseAll(started: StartedService): Promise<void> {
  await started.release();
  await started.stores?.keyValue.close();
  await started.stores?.database.close();
}

function storeKinds(stores: StartedService['stores']): Record<string, unknown> {
  if (!stores) return {};
  return { database: stores.database.embedded ? 'embedded' : 'postgres', store: stores.keyValue.kind };
}

export interface ServiceDefinition<Config extends { LOG_LEVEL: string; LOG_FORMAT?: LogFormat | undefined }> {
  name: string;
  /** Reads and validates the settings; a ConfigError ends the process with its message and exit code 1. */
  loadConfig: () => Config;
  /** Opens stores, migrates, builds the app. A failure ends the process with exit code 1. */
  start: (config: Config, logger: Logger) => Promise<StartedService>;
}

/**
 * The `main` of every Usher server: settings, logger, start-up, listen, a "ready" line, and a clean
 * stop on SIGINT/SIGTERM (open requests finish, then the service releases its resources). Answers
 * the listening server (its address is the port actually bound).
 */
export async function runService<Config extends { LOG_LEVEL: string; LOG_FORMAT?: LogFormat | undefined }>(
  definition: ServiceDefinition<Config>,
): Promise<Server> {
  let config: Config;
  try {
    config = definition.loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({
    service: definition.name,
    level: config.LOG_LEVEL,
    ...(config.LOG_FORMAT ? { format: config.LOG_FORMAT } : {}),
  });
  try {
    const started = await definition.start(config, logger);
    const server = createServer(started.handler);
    server.keepAliveTimeout = 65_000; // longer than the usual load balancer's idle timeout
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(started.port, started.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    logger.info({ ...started.describe, ...storeKinds(started.stores), port: started.port }, `${definition.name} ready`);
    stopOnSignals({ server, logger, release: () => releaseAll(started) });
    return server;
  } catch (error) {
    logger.flush();
    process.stderr.write(
      `${definition.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
}
