import { createServiceMetrics } from '@usher/platform';
import { Counter } from 'prom-client';

/**
 * Prometheus metrics of one films app: what every service exports (labelled `service="films"`) and
 * films' own response-cache counter. A registry per app, so tests can run several.
 */
export function createMetrics() {
  const metrics = createServiceMetrics('films');
  return {
    ...metrics,
    cache: new Counter({
      name: 'usher_films_cache_lookups_total',
      help: 'Catalogue response cache lookups by result',
      labelNames: ['result'] as const,
      registers: [metrics.registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
