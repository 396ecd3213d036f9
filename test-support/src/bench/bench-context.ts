import type { Teardown } from './teardown.ts';

/** What every bench phase gets from scripts/bench.ts. */
export interface BenchContext {
  teardown: Teardown;
  /** Progress lines, printed as they happen. */
  log(line: string): void;
  /** When set, Usher children write V8 CPU profiles here on exit (BENCH_CPU_PROFILE_DIR). */
  cpuProfileDir: string | undefined;
}
