import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one provider app (a registry per app, so tests can run several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    signIns: new Counter({
      name: 'usher_sign_ins_total',
      help: 'Sign-in attempts by method and result',
      labelNames: ['method', 'result'] as const,
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'usher_tokens_issued_total',
      help: 'Successful token endpoint grants by grant type',
      labelNames: ['grant_type'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'usher_errors_total',
      help: 'Errors by where they happened and their OAuth error code',
      labelNames: ['kind', 'error'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'usher_http_request_duration_seconds',
      help: 'HTTP request duration by route group and status',
      labelNames: ['route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    largeTokens: new Counter({
      name: 'usher_large_access_tokens_total',
      help: 'Access tokens issued over 4 KB',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
