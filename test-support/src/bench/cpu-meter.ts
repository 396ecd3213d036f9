import { readFileSync } from 'node:fs';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ). */
const ticksPerSecond = 100;

/** CPU seconds (user + system, all threads) a process has used, or null where /proc is not readable. */
export function processCpuSeconds(pid: number): number | null {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds a process's main thread (its event loop, in Node) has used, or null. */
export function mainThreadCpuSeconds(pid: number): number | null {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(file: string): number | null {
  try {
    const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}

export interface CpuSplit {
  /** CPU seconds per process group over the measured span; null where it could not be read. */
  server: number | null;
  /** The server's main thread alone (the rest is its thread pool: argon2, and GC helpers). */
  serverMainThread: number | null;
  database: number | null;
  loadGenerator: number;
}

/**
 * Measures the CPU that a span of work costs the server process, its PostgreSQL backends and this
 * process (the load generator). On a shared machine throughput moves with everyone else's load;
 * CPU per operation moves much less, so it is the steadier figure to compare.
 */
export async function measureCpu<T>(
  serverPid: number,
  /** The database's server processes on this machine; null when they are elsewhere. */
  backendPids: () => Promise<number[] | null>,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: CpuSplit }> {
  const backendsBefore = new Map(((await backendPids()) ?? []).map((pid) => [pid, processCpuSeconds(pid)]));
  const serverBefore = processCpuSeconds(serverPid);
  const mainBefore = mainThreadCpuSeconds(serverPid);
  const selfBefore = process.cpuUsage();
  const result = await work();
  const self = process.cpuUsage(selfBefore);
  const serverAfter = processCpuSeconds(serverPid);
  const mainAfter = mainThreadCpuSeconds(serverPid);
  const backendsAfter = await backendPids();
  let database: number | null = backendsAfter ? 0 : null;
  for (const pid of backendsAfter ?? []) {
    const now = processCpuSeconds(pid);
    // A backend that started during the span counts from zero.
    const then = backendsBefore.has(pid) ? backendsBefore.get(pid)! : 0;
    database = now === null || then === null || database === null ? null : database + now - then;
  }
  return {
    result,
    cpu: {
      server: serverAfter === null || serverBefore === null ? null : serverAfter - serverBefore,
      serverMainThread: mainAfter === null || mainBefore === null ? null : mainAfter - mainBefore,
      database,
      loadGenerator: (self.user + self.system) / 1e6,
    },
  };
}
