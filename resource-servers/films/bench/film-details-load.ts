import autocannon from 'autocannon';
import { measureCpu } from '@usher/test-support/bench';

export interface DetailsTarget {
  port: number;
  path: string;
  /** Bearer tokens; each connection cycles through them in order. */
  tokens: string[];
  /** The status every answer should have: anything else is a failure. */
  status: number;
}

export interface DetailsRun {
  label: string;
  /** Answers with the expected status per second over the timed window. */
  requestsPerSecond: number;
  answered: number;
  /** Other statuses, socket errors and timeouts. */
  failures: number;
  /** Answers plus socket errors and timeouts. */
  attempts: number;
  statusCounts: Record<string, number>;
  latencyP50Ms: number;
  latencyP99Ms: number;
  seconds: number;
  /** CPU seconds the server process used in the timed window; null when not measured or unreadable. */
  serverCpuSeconds: number | null;
}

export interface LoadShape {
  connections: number;
  seconds: number;
  /** A run before the timed one whose results are dropped; 0 for none. */
  warmupSeconds: number;
}

async function run(target: DetailsTarget, connections: number, seconds: number): Promise<autocannon.Result> {
  const options = {
    url: `http://127.0.0.1:${target.port}${target.path}`,
    connections,
    duration: seconds,
    // autocannon's `requests` (each connection cycles through them), which autocannon.d.ts leaves out.
    requests: target.tokens.map((token) => ({
      method: 'GET',
      path: target.path,
      headers: { authorization: `Bearer ${token}` },
    })),
  };
  return autocannon(options);
}

/**
 * Loads GET `target.path` with autocannon. The warm-up is a run of its own, so that the CPU of the
 * server process (`serverPid`, when given) is measured over the timed window alone.
 */
export async function loadFilmDetails(
  label: string,
  target: DetailsTarget,
  shape: LoadShape,
  serverPid?: number,
): Promise<DetailsRun> {
  if (shape.warmupSeconds > 0) await run(target, shape.connections, shape.warmupSeconds);
  const timed = () => run(target, shape.connections, shape.seconds);
  const { result, cpu } = serverPid
    ? await measureCpu(serverPid, async () => null, timed)
    : { result: await timed(), cpu: { server: null } };
  const statusCounts = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  const answered = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  const expected = statusCounts[String(target.status)] ?? 0;
  return {
    label,
    requestsPerSecond: expected / result.duration,
    answered,
    failures: answered - expected + result.errors,
    attempts: answered + result.errors,
    statusCounts,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    seconds: result.duration,
    serverCpuSeconds: cpu.server,
  };
}

/** The better of several runs: clean runs first, then the higher rate. */
export function betterRun(runs: DetailsRun[]): DetailsRun {
  const [best] = [...runs].sort(
    (a, b) => Number(a.failures > 0) - Number(b.failures > 0) || b.requestsPerSecond - a.requestsPerSecond,
  );
  if (!best) throw new Error('no runs');
  return best;
}

export function describeDetailsRun(run: DetailsRun): string {
  const statuses = Object.entries(run.statusCounts)
    .map(([code, count]) => `${count}×${code}`)
    .join(', ');
  const failures = run.failures ? `  ** ${run.failures} failed requests **` : '';
  return `${`${run.label}:`.padEnd(40)} ${run.requestsPerSecond.toFixed(0)} req/s (${statuses || 'no answers'} in ${run.seconds.toFixed(1)} s, p50 ${run.latencyP50Ms} ms, p99 ${run.latencyP99Ms} ms)${failures}`;
}
