import type { Server } from 'node:http';
import type { Logger } from 'pino';

export interface GracefulStopOptions {
  server: Server;
  logger: Logger;
  /** Releases what the service holds (stores, database), after the server has drained. */
  release: () => Promise<void>;
  /** A stop that takes longer than this exits with 1. */
  graceMs?: number;
}

/**
 * SIGINT and SIGTERM drain the server (open requests finish, idle keep-alive connections close),
 * then release the service's resources and exit 0; a second signal is ignored while stopping.
 */
export function stopOnSignals({ server, logger, release, graceMs = 10_000 }: GracefulStopOptions): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), graceMs);
    force.unref();
    await new Promise<void>((resolve) => {
      // A keep-alive connection busy now turns idle once its answer is sent, and close() would wait
      // for it until the client hangs up: close idle connections as they appear.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      server.close(() => {
        clearInterval(sweep);
        resolve();
      });
      server.closeIdleConnections();
    });
    await release();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
