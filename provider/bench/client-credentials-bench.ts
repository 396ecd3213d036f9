import { startChild, type BenchChild } from './bench-child.ts';
import { usherEnv, type BenchContext } from './bench-context.ts';
import { createThrowawayDatabase } from './throwaway-database.ts';
import { issuedToken, type IssuedToken } from './jose-costs.ts';
import {
  bestRun,
  describeRun,
  fetchAccessToken,
  issuerReady,
  loadTokenEndpoint,
  type IssuerReady,
  type LoadRun,
} from './token-endpoint-load.ts';

export type AccessTokenAlg = 'ES256' | 'RS256';

const load = { connections: 50, seconds: 6, warmupSeconds: 2 };

export interface ClientCredentialsResults {
  databases: string[];
  plain: Record<AccessTokenAlg, LoadRun>;
  usher: Record<AccessTokenAlg, LoadRun>;
  /** One access token of each algorithm from Usher, for the jose signing and verification bench. */
  tokens: Record<AccessTokenAlg, IssuedToken>;
}

interface Pair {
  plain: BenchChild<IssuerReady>;
  usher: BenchChild<IssuerReady>;
  database: string;
  tokens: IssuedToken;
  /** Stops both children and drops the database. */
  stop(): Promise<void>;
}

/** A plain oidc-provider and an Usher child on a throw-away database, both signing access tokens with `alg`. */
async function startPair(context: BenchContext, alg: AccessTokenAlg): Promise<Pair> {
  const database = await createThrowawayDatabase(context.teardown);
  const [plain, usher] = await Promise.all([
    startChild(context.teardown, {
      script: 'plain-provider-server.ts',
      args: [alg],
      env: { ...process.env, NODE_ENV: 'production' },
      readyLine: issuerReady,
    }),
    startChild(context.teardown, {
      script: 'usher-server.ts',
      env: usherEnv({ ...database.env, ACCESS_TOKEN_ALG: alg }),
      readyLine: issuerReady,
      cpuProfileDir: context.cpuProfileDir,
    }),
  ]);
  context.log(`  ${alg}: plain oidc-provider pid ${plain.pid}, Usher pid ${usher.pid} on ${database.description}`);
  await fetchAccessToken(plain.ready);
  const issuer = `http://127.0.0.1:${usher.ready.port}`;
  const tokens = await issuedToken(issuer, usher.ready.resource, await fetchAccessToken(usher.ready));
  const stop = async () => {
    await Promise.all([plain.stop(), usher.stop()]);
    await database.drop();
  };
  return { plain, usher, database: database.description, tokens, stop };
}

/**
 * Client credentials throughput: plain oidc-provider (memory adapter) against Usher (PostgreSQL),
 * both signing access tokens with ES256, alternated twice, the better run of each kept; then the
 * same with a second pair of children signing with RS256.
 */
export async function benchClientCredentials(context: BenchContext): Promise<ClientCredentialsResults> {
  const run = async (label: string, server: IssuerReady) => {
    const result = await loadTokenEndpoint(label, server, load);
    context.log(`  ${describeRun(result)}`);
    return result;
  };

  context.log(
    `client credentials: ${load.connections} connections, POST /token, ${load.warmupSeconds} s warm-up + ${load.seconds} s per run`,
  );
  const runs: Record<AccessTokenAlg, { plain: LoadRun[]; usher: LoadRun[] }> = {
    ES256: { plain: [], usher: [] },
    RS256: { plain: [], usher: [] },
  };
  const pairs = {} as Record<AccessTokenAlg, Pair>;
  for (const alg of ['ES256', 'RS256'] as const) {
    const pair = await startPair(context, alg);
    pairs[alg] = pair;
    for (const round of [1, 2]) {
      runs[alg].plain.push(await run(`plain oidc-provider ${alg} run ${round}`, pair.plain.ready));
      runs[alg].usher.push(await run(`Usher ${alg} run ${round}`, pair.usher.ready));
    }
    await pair.stop();
    const ratios = runs[alg].usher.map(
      (usher, index) => usher.tokensPerSecond / runs[alg].plain[index]!.tokensPerSecond,
    );
    context.log(`  ${alg} Usher/plain per round: ${ratios.map((ratio) => `${(ratio * 100).toFixed(0)}%`).join(', ')}`);
  }

  return {
    databases: [pairs.ES256.database, pairs.RS256.database],
    plain: { ES256: bestRun(runs.ES256.plain), RS256: bestRun(runs.RS256.plain) },
    usher: { ES256: bestRun(runs.ES256.usher), RS256: bestRun(runs.RS256.usher) },
    tokens: { ES256: pairs.ES256.tokens, RS256: pairs.RS256.tokens },
  };
}
