import { createServiceMetrics } from '@usher/platform';
import { Counter } from 'prom-client';

/**
 * Prometheus metrics of one provider app (a registry per app, so tests can run several): what every
 * service exports (`usher_http_request_duration_seconds`, the process metrics, the `service` label)
 * and the provider's own counters.
 */
export function createMetrics() {
  const base = createServiceMetrics('provider');
  const registers = [base.registry];
  return {
    ...base,
    signIns: new Counter({
      name: 'usher_sign_ins_total',
      help: 'Sign-in attempts by method and result',
      labelNames: ['method', 'result'] as const,
      registers,
    }),
    tokens: new Counter({
      name: 'usher_tokens_issued_total',
      help: 'Successful token endpoint grants by grant type',
      labelNames: ['grant_type'] as const,
      registers,
    }),
    errors: new Counter({
      name: 'usher_errors_total',
      help: 'Errors by where they happened and their OAuth error code',
      labelNames: ['kind', 'error'] as const,
      registers,
    }),
    largeTokens: new Counter({
      name: 'usher_large_access_tokens_total',
      help: 'Access tokens issued over 4 KB',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
