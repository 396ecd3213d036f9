import { metricsGuard, problemContentType, type KeyValueStore } from '@usher/platform';
import type { Registry } from 'prom-client';
import type { RouteTable } from './route-table.ts';

/** What /readyz asks: the service's stores, and any probe of its own (a bucket, a queue). */
export interface Readiness {
  database?: { ping(): Promise<boolean> };
  store?: Pick<KeyValueStore, 'ping' | 'kind'>;
  /** Each answers whether its part is usable; a probe that throws or takes over 2 s counts as not. */
  probes?: Record<string, () => Promise<boolean>>;
}

const probeTimeoutMs = 2000;

/** A probe's answer within the timeout; a failure or a hang is `false`, never a hung readiness check. */
async function settle(probe: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), probeTimeoutMs);
  });
  try {
    return await Promise.race([probe().then(Boolean, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The checks of /readyz, by name: `database`, `redis` or `memory_store`, then the service's probes. */
function checksOf(readiness: Readiness): [string, () => Promise<boolean>][] {
  const { database, store } = readiness;
  return [
    ...(database ? [['database', () => database.ping()] as [string, () => Promise<boolean>]] : []),
    ...(store
      ? [[store.kind === 'redis' ? 'redis' : 'memory_store', () => store.ping()] as [string, () => Promise<boolean>]]
      : []),
    ...Object.entries(readiness.probes ?? {}),
  ];
}

/** /healthz (the process is up: 200 always), /readyz (200 when every check answers, else 503), /metrics (Prometheus). */
export function opsRoutes(
  routes: RouteTable,
  options: { readiness: Readiness; registry: Registry; metricsToken?: string | undefined },
): void {
  const checks = checksOf(options.readiness);
  const metricsRefusal = metricsGuard(options.metricsToken);
  routes.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  routes.get('/readyz', async (_req, res) => {
    const results = await Promise.all(checks.map(async ([name, probe]) => [name, await settle(probe)] as const));
    const ready = results.every(([, ok]) => ok);
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) });
  });
  routes.get('/metrics', async (req, res) => {
    // An operations answer, not the service's API: problem+json whatever the service's renderer.
    const refusal = metricsRefusal(req.get('authorization'), req.socket.remoteAddress);
    if (refusal) {
      res.status(refusal.status).set(refusal.headers).type(problemContentType).json(refusal.toBody());
      return;
    }
    res.type(options.registry.contentType).send(await options.registry.metrics());
  });
}
