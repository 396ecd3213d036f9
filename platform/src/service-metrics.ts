import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The Prometheus registry of one service app, with what every service exports under the same names:
 * the process's default metrics and `usher_http_request_duration_seconds{route,status}`, every series
 * labelled `service` (so one dashboard and one alert cover every service). A service registers its
 * own metrics on `registry`. One registry per app, so tests can run several apps in one process.
 */
export function createServiceMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'usher_http_request_duration_seconds',
      help: 'HTTP request duration by route template and status',
      labelNames: ['route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

export type ServiceMetrics = ReturnType<typeof createServiceMetrics>;
