/**
 * `npm install` (postinstall): keeps a blank embedded PostgreSQL cluster in node_modules/.cache, so
 * that the first `npm start` on a new machine copies it instead of running initdb (seconds saved on
 * the way to ready). Best effort: a failure here only costs that time later, never the install.
 */
import { prepareBlankCluster } from '../platform/src/index.ts';

const started = Date.now();
try {
  const file = await prepareBlankCluster();
  console.log(`usher: blank embedded PostgreSQL cluster ready in ${Date.now() - started} ms (${file})`);
} catch (error) {
  console.warn(
    `usher: could not prepare the blank embedded PostgreSQL cluster (${error instanceof Error ? error.message : String(error)}); the first start will run initdb instead`,
  );
}
