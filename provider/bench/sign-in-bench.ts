import path from 'node:path';
import { z } from 'zod';
import {
  type BenchContext,
  type CpuSplit,
  createThrowawayDatabase,
  measureCpu,
  startChild,
  type ThrowawayDatabase,
} from '@usher/test-support/bench';
import { usherEnv } from './usher-env.ts';
import {
  measureSignIns,
  prepareSignIns,
  signInServerReady,
  type SignInRun,
  type SignInServerReady,
} from './password-sign-in-load.ts';
import { backToBack, medianRound, roundRatios, type Round } from './paired-rounds.ts';

const seconds = 5;
const concurrency = 4;
const warmup = 12;
/** The untimed run before the rounds (see benchSignIns). */
const warmupSeconds = 4;
const rounds = 5;

const argon2Rate = z.object({
  verifiesPerSecond: z.number(),
  verifies: z.number(),
  seconds: z.number(),
  cpuSecondsPerVerify: z.number(),
  threadPool: z.number(),
  memoryCostKiB: z.number(),
});
type Argon2Rate = z.infer<typeof argon2Rate>;

/** CPU milliseconds per sign-in, by where it was spent (null: could not be read here). */
export interface SignInCpu {
  server: number | null;
  /** Of `server`, its main thread: Usher's own work, where argon2 runs on the thread pool. */
  serverMainThread: number | null;
  database: number | null;
  loadGenerator: number;
  total: number | null;
}

export interface SignInResults {
  database: string;
  /** The bare run of the median round (see paired-rounds.ts). */
  bare: Argon2Rate;
  /** Usher's run of the median round. */
  usher: SignInRun;
  /** The cheapest of Usher's runs in CPU per sign-in, the steadier figure on a shared machine. */
  usherCpu: SignInCpu | null;
  /** The cheapest bare verify, in CPU milliseconds. */
  bareCpuMs: number;
}

function perSignIn(cpu: CpuSplit, signIns: number): SignInCpu {
  const ms = (seconds: number | null) => (seconds === null ? null : (seconds * 1000) / signIns);
  const server = ms(cpu.server);
  const serverMainThread = ms(cpu.serverMainThread);
  const database = ms(cpu.database);
  const loadGenerator = ms(cpu.loadGenerator)!;
  return {
    server,
    serverMainThread,
    database,
    loadGenerator,
    total: server === null || database === null ? null : server + database + loadGenerator,
  };
}

/** The bare argon2 verify rate, in a fresh child each time. */
async function bareRate(context: BenchContext, round: number): Promise<Argon2Rate> {
  const child = await startChild(context.teardown, {
    script: path.join(import.meta.dirname, 'argon2-verify-rate.ts'),
    args: [String(seconds)],
    env: { ...process.env, NODE_ENV: 'production' },
    readyLine: argon2Rate,
  });
  await child.stop();
  const rate = child.ready;
  context.log(
    `  bare argon2 verify run ${round}: ${rate.verifiesPerSecond.toFixed(1)}/s (${rate.verifies} in ${rate.seconds.toFixed(1)} s, thread pool ${rate.threadPool}); CPU per verify ${(rate.cpuSecondsPerVerify * 1000).toFixed(1)} ms`,
  );
  return rate;
}

async function usherRate(
  context: BenchContext,
  server: { ready: SignInServerReady; pid: number },
  database: ThrowawayDatabase,
  /** 0: the warm-up run, logged as such and not counted. */
  round: number,
  runSeconds = seconds,
): Promise<{ run: SignInRun; cpu: SignInCpu }> {
  // Pages are cheap to open; far more than even bare argon2 could use, so the window never runs dry.
  const pending = await prepareSignIns(server.ready, 1000 + warmup);
  const measured = await measureCpu(
    server.pid,
    () => database.backendPids(),
    () => measureSignIns(server.ready, pending, { concurrency, seconds: runSeconds, warmup }),
  );
  const run = measured.result;
  const cpu = perSignIn(measured.cpu, run.succeeded + run.failed + warmup);
  const statuses = Object.entries(run.statusCounts)
    .map(([code, n]) => `${n}×${code}`)
    .join(', ');
  const ms = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(1)} ms`);
  context.log(
    `  Usher sign-ins ${round ? `run ${round}:      ` : 'warm-up (untimed):'} ${run.perSecond.toFixed(1)}/s (${statuses} in ${run.seconds.toFixed(1)} s${run.ranOut ? ', RAN OUT of prepared pages' : ''})${run.failed ? `  ** ${run.failed} failed **` : ''}; ` +
      `CPU per sign-in: Usher ${ms(cpu.server)} (main thread ${ms(cpu.serverMainThread)}, argon2 on the others), PostgreSQL ${ms(cpu.database)}, load generator ${ms(cpu.loadGenerator)}`,
  );
  return { run, cpu };
}

/**
 * Password sign-ins: the bare argon2 verify rate (a child process with the server's thread pool)
 * against Usher's POST /interaction/:uid/login rate with as many requests in flight, over sign-in
 * pages opened beforehand; five rounds of back-to-back runs (which goes first alternates), the
 * median round kept. The per-account and
 * per-IP failure limits are off in this child only: every request comes from one IP, and the
 * bench measures the happy path.
 */
export async function benchSignIns(context: BenchContext): Promise<SignInResults> {
  context.log(`password sign-ins: ${concurrency} in flight, ${seconds} s per run, bare argon2 and Usher alternated`);
  const database = await createThrowawayDatabase(context.teardown);
  const server = await startChild(context.teardown, {
    script: path.join(import.meta.dirname, 'usher-server.ts'),
    args: ['--sign-in'],
    env: usherEnv({
      ...database.env,
      RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '0',
      RATE_LIMIT_SIGNIN_FAILURES_PER_IP: '0',
    }),
    readyLine: signInServerReady,
    cpuProfileDir: context.cpuProfileDir,
  });
  const { email, password } = server.ready.signIn;
  context.log(`  Usher pid ${server.pid} on ${database.description}; user ${email} / ${password}`);

  // One untimed run first: in the first seconds V8 is still compiling the sign-in path and
  // PostgreSQL's new backends are filling their caches (seen here: the main thread's CPU per
  // sign-in falling from 3.2 ms to 1.7 ms over the first three runs), while bare argon2 is native
  // code from its first verify. The rounds compare the two at their steady state.
  await usherRate(context, server, database, 0, warmupSeconds);
  const bare: Argon2Rate[] = [];
  const usher: { run: SignInRun; cpu: SignInCpu }[] = [];
  const pairs: Round<SignInRun, Argon2Rate>[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    const { yardstick, ours } = await backToBack(
      round,
      () => bareRate(context, round),
      () => usherRate(context, server, database, round),
    );
    bare.push(yardstick);
    usher.push(ours);
    pairs.push({
      ours: ours.run,
      yardstick,
      ratio: ours.run.perSecond / yardstick.verifiesPerSecond,
      clean: ours.run.failed === 0,
    });
  }
  await server.stop();
  await database.drop();
  context.log(`  Usher/bare argon2 per round: ${roundRatios(pairs)} (the median round is kept)`);
  const kept = medianRound(pairs);
  const best = <T>(runs: T[], rate: (run: T) => number, clean: (run: T) => boolean) =>
    [...runs].sort((a, b) => Number(clean(b)) - Number(clean(a)) || rate(b) - rate(a))[0]!;
  return {
    database: database.description,
    bare: kept.yardstick,
    usher: kept.ours,
    usherCpu: best(
      usher.map((entry) => entry.cpu),
      (cpu) => -(cpu.total ?? Infinity),
      (cpu) => cpu.total !== null,
    ),
    bareCpuMs: Math.min(...bare.map((run) => run.cpuSecondsPerVerify)) * 1000,
  };
}
