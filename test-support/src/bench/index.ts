export { announceReady, startChild, type BenchChild, type ChildOptions } from './bench-child.ts';
export type { BenchContext } from './bench-context.ts';
export { mainThreadCpuSeconds, measureCpu, processCpuSeconds, type CpuSplit } from './cpu-meter.ts';
export { formatTable, percent, perSecond, times, type ReportRow } from './report-table.ts';
export { Teardown } from './teardown.ts';
export { createThrowawayDatabase, type ThrowawayDatabase } from './throwaway-database.ts';
