import type { Database, KeyValueStore } from '@usher/platform';
import { Router } from 'express';
import type { Metrics } from './metrics.ts';

/** /healthz (the process is up), /readyz (its stores answer), /metrics (Prometheus). */
export function healthRoutes(db: Database, store: KeyValueStore, metrics: Metrics): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, kv] = await Promise.all([db.ping(), store.ping()]);
    const ready = database && kv;
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({
        status: ready ? 'ready' : 'unavailable',
        checks: { database, [store.kind === 'redis' ? 'redis' : 'memory_store']: kv },
      });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
