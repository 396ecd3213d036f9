import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  type BenchChild,
  type BenchContext,
  createThrowawayDatabase,
  startChild,
  type Teardown,
} from '@usher/test-support/bench';
import { machineToken, type ProviderProcess, registerMachineClient } from '@usher/test-support';
import { filmsSettings } from '../src/config.ts';
import { startBenchProvider } from './bench-provider.ts';
import { IntrospectionVerifier } from './introspection-verifier.ts';
import {
  betterRun,
  describeDetailsRun,
  loadFilmDetails,
  type DetailsRun,
  type DetailsTarget,
  type LoadShape,
} from './film-details-load.ts';

const load: LoadShape = { connections: 50, seconds: 7, warmupSeconds: 2 };
/** The films children refresh the provider's keys this often: the longest key cache age there is. */
const keyCacheMs = 2000;
/** How long the provider is down before the outage runs start: longer than any key cache age. */
const outageLeadMs = 5000;
/** Fresh tokens per outage run, so that its first requests verify signatures, not cache hits. */
const poolSize = 100;
const resource = 'https://films.bench.test';
const subscriberClient = 'films-bench-subscriber';

const variants = ['token', 'none', 'introspection'] as const;
type Variant = (typeof variants)[number];

const filmsReady = z.object({
  port: z.number().int(),
  film: z.object({ uuid: z.string(), imdb_rating: z.number() }),
});
type FilmsReady = z.infer<typeof filmsReady>;

export interface FilmsResults {
  film: FilmsReady['film'];
  /** The better of two runs each: films with the kit's token check, with none, with introspection; bare http. */
  runs: Record<Variant | 'bare', DetailsRun>;
  /** Films CPU per answered request in the better run, microseconds (null where /proc is unreadable). */
  cpuMicros: Record<'token' | 'none', number | null>;
  /** The status films answers with introspection, and why when it is not the subscriber's 200. */
  introspection: { status: number; reason: string | null };
  /**
   * Each outage run with the running run measured just before it (a shared machine drifts, so the
   * run next to it is the fair yardstick): before the kill, and after the restart, before the hang.
   */
  outage: { runningBeforeKill: DetailsRun; killed: DetailsRun; runningBeforeHang: DetailsRun; hung: DetailsRun };
  keyCacheMs: number;
  outageLeadMs: number;
  databases: string[];
}

const filmsKeys = new Set(Object.keys(filmsSettings.shape));

/** A films child's environment: the bench's own minus every films setting, production defaults, `settings`. */
function filmsEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !filmsKeys.has(key)));
  return { ...inherited, NODE_ENV: 'production', LOG_LEVEL: 'info', ...settings };
}

/** A script beside this one, as startChild takes it. */
const childScript = (name: string) => path.join(import.meta.dirname, name);

async function stateDir(teardown: Teardown): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'usher-films-bench-'));
  teardown.defer(`films state folder ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts one films child per variant, each on its own throw-away database (spawned before this returns). */
async function spawnFilms(context: BenchContext, issuer: string, receivers: Record<Variant, string>) {
  const databases = await Promise.all(variants.map(() => createThrowawayDatabase(context.teardown)));
  const dirs = await Promise.all(variants.map(() => stateDir(context.teardown)));
  const children = variants.map((variant, index) =>
    startChild(context.teardown, {
      script: childScript('films-server.ts'),
      args: [`--verifier=${variant}`, `--key-cache-ms=${keyCacheMs}`],
      env: filmsEnv({
        ...databases[index]!.env,
        PROVIDER_ISSUER: issuer,
        FILMS_RESOURCE: resource,
        FILMS_CLIENT_ID: `films-bench-${variant}`,
        FILMS_CLIENT_SECRET: receivers[variant],
        FILMS_STATE_DIR: dirs[index]!,
      }),
      readyLine: filmsReady,
      cpuProfileDir: context.cpuProfileDir,
    }),
  );
  const ready = Promise.all(children) as Promise<
    [BenchChild<FilmsReady>, BenchChild<FilmsReady>, BenchChild<FilmsReady>]
  >;
  ready.catch(() => {}); // awaited by the caller; a failure must not surface before that
  return { ready, databases: databases.map((database) => database.description) };
}

async function probe(port: number, filmPath: string, token: string) {
  const response = await fetch(`http://127.0.0.1:${port}${filmPath}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await response.text(), degraded: response.headers.get('x-auth-degraded') };
}

/** `count` access tokens of the subscriber client, a few requests at a time. */
async function mintTokens(provider: ProviderProcess, secret: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  while (tokens.length < count) {
    const batch = Math.min(10, count - tokens.length);
    tokens.push(
      ...(await Promise.all(
        Array.from({ length: batch }, () => machineToken(provider, subscriberClient, secret, resource)),
      )),
    );
  }
  return tokens;
}

const cpuPerRequest = (run: DetailsRun) =>
  run.serverCpuSeconds === null || !run.answered ? null : (run.serverCpuSeconds * 1e6) / run.answered;

/** How often the films children poll the revocation feed (FILMS_EVENTS_POLL_MS's default). */
const eventsPollMs = 2000;

/**
 * A subscriber token that films with the token check accepts for good. Granting pro_read put a
 * claims-change event on the revocation feed that covers the client's tokens issued up to a few
 * seconds later (the provider's claims cache age, and `iat`'s whole seconds), and films learns of
 * it at its next poll: a token passes once films has polled since it was issued.
 */
async function acceptedToken(provider: ProviderProcess, secret: string, port: number, filmPath: string) {
  let last = '';
  for (let attempt = 1; attempt <= 8; attempt += 1) {
    const [hot = ''] = await mintTokens(provider, secret, 1);
    await sleep(eventsPollMs * 1.5);
    const answer = await probe(port, filmPath, hot);
    if (answer.status === 200) return { hot, answer };
    last = `${answer.status}: ${answer.body}`;
  }
  throw new Error(`films with the token check refused every fresh subscriber token (${last})`);
}

interface Setup {
  provider: ProviderProcess;
  providerSettings: Record<string, string>;
  secret: string;
  children: Record<Variant, BenchChild<FilmsReady>>;
  filmPath: string;
  /** The subscriber token of the throughput runs, and films' answer to it. */
  hot: string;
  answer: string;
  introspection: { status: number; reason: string | null };
  databases: string[];
}

/**
 * A provider with a pro_read machine client, the three films children, and a token all of them
 * have answered: the subscriber's film from films with the token check and with none (the same
 * bytes), and whatever introspection gets.
 */
async function setUp(context: BenchContext): Promise<Setup> {
  const { teardown, log } = context;
  const providerDatabase = await createThrowawayDatabase(teardown);
  const receivers = Object.fromEntries(variants.map((v) => [v, randomBytes(24).toString('base64url')])) as Record<
    Variant,
    string
  >;
  const providerSettings = {
    ...providerDatabase.env,
    USHER_EVENT_RECEIVERS: variants.map((variant) => `films-bench-${variant}:${receivers[variant]}`).join(','),
  };
  const provider = await startBenchProvider(teardown, providerSettings);
  log(`  provider pid ${provider.child.pid} on ${providerDatabase.description}`);

  const films = await spawnFilms(context, provider.url, receivers);
  // The CLI blocks this process for a few seconds while the films children start.
  const secret = registerMachineClient(provider, resource, subscriberClient, ['pro_read']);
  const [token, none, introspection] = await films.ready;
  log(`  films pids: token check ${token.pid}, no check ${none.pid}, introspection ${introspection.pid}`);
  const filmPath = `/api/v1/films/${token.ready.film.uuid}`;
  const { hot, answer } = await acceptedToken(provider, secret, token.ready.port, filmPath);
  const unchecked = await probe(none.ready.port, filmPath, hot);
  if (unchecked.status !== 200 || unchecked.body !== answer.body)
    throw new Error(`films without the token check answered otherwise (${unchecked.status}): ${unchecked.body}`);
  const introspected = await probe(introspection.ready.port, filmPath, hot);
  if (introspected.status === 200 && introspected.body !== answer.body)
    throw new Error(`films with introspection answered another film: ${introspected.body}`);
  let reason: string | null = null;
  if (introspected.status !== 200) {
    // Ask the provider as that films child does, to say why.
    const verifier = await IntrospectionVerifier.discover({
      issuer: provider.url,
      audience: resource,
      clientId: 'films-bench-introspection',
      clientSecret: receivers.introspection,
    });
    const outcome = await verifier.verify(hot);
    reason = 'reason' in outcome ? outcome.reason : outcome.code;
    log(
      `  introspection: films answers ${introspected.status}${introspected.degraded ? ' (degraded)' : ''}: ${reason}`,
    );
  }
  return {
    provider,
    providerSettings,
    secret,
    children: { token, none, introspection },
    filmPath,
    hot,
    answer: answer.body,
    introspection: { status: introspected.status, reason },
    databases: [providerDatabase.description, ...films.databases],
  };
}

/** Each variant and bare http in turn, twice; the better run of each. */
async function throughputRuns(context: BenchContext, setup: Setup): Promise<Record<Variant | 'bare', DetailsRun>> {
  const bare = await startChild(context.teardown, {
    script: childScript('bare-http-server.ts'),
    args: [setup.answer],
    env: { ...process.env, NODE_ENV: 'production' },
    readyLine: z.object({ port: z.number().int() }),
  });
  const { token, none, introspection } = setup.children;
  const target = (port: number, status = 200): DetailsTarget => ({
    port,
    path: setup.filmPath,
    tokens: [setup.hot],
    status,
  });
  const targets: { name: Variant | 'bare'; label: string; pid: number; target: DetailsTarget }[] = [
    { name: 'token', label: 'films, token check', pid: token.pid, target: target(token.ready.port) },
    { name: 'none', label: 'films, no check', pid: none.pid, target: target(none.ready.port) },
    {
      name: 'introspection',
      label: 'films, introspection',
      pid: introspection.pid,
      target: target(introspection.ready.port, setup.introspection.status),
    },
    { name: 'bare', label: 'bare Node http', pid: bare.pid, target: target(bare.ready.port) },
  ];
  const runs = { token: [], none: [], introspection: [], bare: [] } as Record<Variant | 'bare', DetailsRun[]>;
  for (const round of [1, 2]) {
    for (const { name, label, pid, target } of targets) {
      const run = await loadFilmDetails(`${label} run ${round}`, target, load, pid);
      runs[name].push(run);
      context.log(`  ${describeDetailsRun(run)}`);
    }
  }
  await bare.stop();
  return {
    token: betterRun(runs.token),
    none: betterRun(runs.none),
    introspection: betterRun(runs.introspection),
    bare: betterRun(runs.bare),
  };
}

/**
 * Films with the token check, for valid tokens it has not seen yet: with the provider running,
 * killed (SIGKILL), running again (restarted on the same address) and hung (SIGSTOP, then SIGCONT).
 */
async function outageRuns(context: BenchContext, setup: Setup): Promise<FilmsResults['outage']> {
  const { log } = context;
  log(
    `films outage: valid tokens (${poolSize} never seen before per run), ${load.seconds} s per run, keys refreshed every ${keyCacheMs / 1000} s, runs start ${outageLeadMs / 1000} s into the outage`,
  );
  const pools: string[][] = [];
  for (let pool = 0; pool < 4; pool += 1) pools.push(await mintTokens(setup.provider, setup.secret, poolSize));
  const shape = { ...load, warmupSeconds: 0 }; // a warm-up would use up the fresh tokens
  const port = setup.children.token.ready.port;
  const outageRun = async (label: string, tokens: string[]) => {
    const run = await loadFilmDetails(label, { port, path: setup.filmPath, tokens, status: 200 }, shape);
    log(`  ${describeDetailsRun(run)}`);
    return run;
  };
  const runningBefore = await outageRun('provider running', pools[0]!);

  await setup.provider.kill();
  await sleep(outageLeadMs);
  const killed = await outageRun('provider killed (SIGKILL)', pools[1]!);

  const address = Number(new URL(setup.provider.url).port);
  const provider = await startBenchProvider(context.teardown, setup.providerSettings, address);
  // Also gives films the time to reach the provider again (a key refresh) before it hangs.
  const runningAgain = await outageRun('provider running again', pools[2]!);
  provider.hang();
  let hung: DetailsRun;
  try {
    await sleep(outageLeadMs);
    hung = await outageRun('provider hung (SIGSTOP)', pools[3]!);
  } finally {
    provider.resume();
  }
  return { runningBeforeKill: runningBefore, killed, runningBeforeHang: runningAgain, hung };
}

/**
 * Film details (`GET /api/v1/films/{id}`, a film rated above 7.0 asked for by a `pro_read`
 * subscriber) from three films children that differ only in how they check the token, and from
 * bare Node http serving the same bytes; then, for valid tokens, films with the provider running,
 * killed and hung.
 */
export async function benchFilms(context: BenchContext): Promise<FilmsResults> {
  context.log(
    `films details: ${load.connections} connections, GET /api/v1/films/{id}, ${load.warmupSeconds} s warm-up + ${load.seconds} s per run`,
  );
  const setup = await setUp(context);
  const runs = await throughputRuns(context, setup);
  const outage = await outageRuns(context, setup);
  return {
    film: setup.children.token.ready.film,
    runs,
    cpuMicros: { token: cpuPerRequest(runs.token), none: cpuPerRequest(runs.none) },
    introspection: setup.introspection,
    outage,
    keyCacheMs,
    outageLeadMs,
    databases: setup.databases,
  };
}
