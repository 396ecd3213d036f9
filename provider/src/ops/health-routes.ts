import Router from '@koa/router';
import { metricsGuard, type Database, type KeyValueStore } from '@usher/platform';
import type { Metrics } from './metrics.ts';

/** /healthz (the process is up), /readyz (its stores answer), /metrics (Prometheus). */
export function healthRoutes(
  db: Database,
  store: KeyValueStore,
  metrics: Metrics,
  metricsToken: string | undefined,
): Router {
  const router = new Router();
  const metricsRefusal = metricsGuard(metricsToken);
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const [database, redis] = await Promise.all([db.ping(), store.ping()]);
    const ready = database && redis;
    ctx.status = ready ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      status: ready ? 'ready' : 'unavailable',
      checks: { database, [store.kind === 'redis' ? 'redis' : 'memory_store']: redis },
    };
  });
  router.get('/metrics', async (ctx) => {
    // The socket's own address: a forwarded header says nothing about who is on this host.
    const refusal = metricsRefusal(ctx.get('authorization') || undefined, ctx.req.socket.remoteAddress);
    if (refusal) throw refusal;
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}
