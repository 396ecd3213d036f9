import { createHash, timingSafeEqual } from 'node:crypto';
import { Forbidden, Unauthorized, type HttpProblem } from './problem.ts';

/** This host: 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
const loopback = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Who may read /metrics (process internals, route names, counts: nothing for the public). With
 * METRICS_TOKEN set, a scraper sends `Authorization: Bearer <token>` (compared in constant time);
 * without it, only callers on this host (the socket's own address, never a forwarded header), so a
 * bare `npm start` and a Prometheus beside the process work with nothing configured.
 * Answers the refusal to send, or null when the caller may read.
 */
export function metricsGuard(token: string | undefined) {
  const expected = token ? createHash('sha256').update(token).digest() : null;
  return function refusal(authorization: string | undefined, remoteAddress: string | undefined): HttpProblem | null {
    if (!expected) {
      if (remoteAddress && loopback.test(remoteAddress)) return null;
      return new Forbidden('Metrics are served to this host only; set METRICS_TOKEN to scrape from elsewhere');
    }
    const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (given && timingSafeEqual(createHash('sha256').update(given).digest(), expected)) return null;
    return new Unauthorized('A bearer token (METRICS_TOKEN) is required', {
      'WWW-Authenticate': 'Bearer realm="metrics"',
    });
  };
}

export type MetricsGuard = ReturnType<typeof metricsGuard>;
