import { ConfigError, createLogger, stopOnSignals } from '@usher/platform';
import { loadUiConfig } from './config.ts';
import { createUiServer } from './ui-server.ts';

/** Starts the admin UI server: config, HTTP, and a clean stop. */
function main() {
  let config;
  try {
    config = loadUiConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ service: 'admin-ui', level: config.LOG_LEVEL });
  const server = createUiServer(config, logger);
  server.listen(config.ADMIN_UI_PORT, config.HOST, () => {
    logger.info({ url: config.publicUrl, issuer: config.issuer, dist: config.distDir }, 'admin UI ready');
  });
  // Nothing to release: the built files are read, never held open.
  stopOnSignals({ server, logger, release: async () => {} });
}

main();
