import autocannon from 'autocannon';
import { z } from 'zod';

/** What a token-issuing bench child prints when ready. */
export const issuerReady = z.object({
  port: z.number().int(),
  clientId: z.string(),
  clientSecret: z.string(),
  resource: z.string(),
});
export type IssuerReady = z.infer<typeof issuerReady>;

export interface LoadRun {
  label: string;
  /** 200 responses per second over the timed window. */
  tokensPerSecond: number;
  ok: number;
  /** Non-200 answers, socket errors and timeouts: a run with any is not a clean measurement. */
  failures: number;
  statusCounts: Record<string, number>;
  latencyP50Ms: number;
  latencyP99Ms: number;
  seconds: number;
}

function tokenRequest(server: IssuerReady) {
  const basic = Buffer.from(
    `${encodeURIComponent(server.clientId)}:${encodeURIComponent(server.clientSecret)}`,
  ).toString('base64');
  return {
    url: `http://127.0.0.1:${server.port}/token`,
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: server.resource }).toString(),
  };
}

/** One client_credentials token, to check the endpoint works before loading it (and to verify later). */
export async function fetchAccessToken(server: IssuerReady): Promise<string> {
  const { url, headers, body } = tokenRequest(server);
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /token answered ${response.status}: ${text.slice(0, 300)}`);
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
  if (typeof token !== 'string' || token.split('.').length !== 3)
    throw new Error(`POST /token gave no JWT: ${text.slice(0, 300)}`);
  return token;
}

/** Loads POST /token with autocannon: a warm-up whose results are dropped, then the timed window. */
export async function loadTokenEndpoint(
  label: string,
  server: IssuerReady,
  options: { connections: number; seconds: number; warmupSeconds: number },
): Promise<LoadRun> {
  const result = await autocannon({
    ...tokenRequest(server),
    method: 'POST',
    connections: options.connections,
    duration: options.seconds,
    warmup: { connections: options.connections, duration: options.warmupSeconds },
  });
  const statusCounts = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  const ok = statusCounts['200'] ?? 0;
  const answered = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  return {
    label,
    tokensPerSecond: ok / result.duration,
    ok,
    failures: answered - ok + result.errors,
    statusCounts,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    seconds: result.duration,
  };
}

export function describeRun(run: LoadRun): string {
  const statuses = Object.entries(run.statusCounts)
    .map(([code, count]) => `${count}×${code}`)
    .join(', ');
  const failures = run.failures ? `  ** ${run.failures} failed requests **` : '';
  return `${`${run.label}:`.padEnd(34)} ${run.tokensPerSecond.toFixed(0)} tokens/s (${statuses || 'no answers'} in ${run.seconds.toFixed(1)} s, latency p50 ${run.latencyP50Ms} ms, p99 ${run.latencyP99Ms} ms)${failures}`;
}
