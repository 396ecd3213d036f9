import { runService } from '@usher/platform';
import { loadUiConfig } from './config.ts';
import { createUiListener } from './ui-server.ts';

/** Starts the admin UI server through platform's runService: settings, HTTP, and a clean stop. */
await runService({
  name: 'admin-ui',
  loadConfig: () => loadUiConfig(),
  start: async (config, logger) => ({
    handler: createUiListener(config, logger),
    port: config.ADMIN_UI_PORT,
    host: config.HOST,
    describe: { url: config.publicUrl, issuer: config.issuer, dist: config.distDir },
    // Nothing to release: the built files are read, never held open.
    release: async () => {},
  }),
});
