import path from 'node:path';
import { type BenchChild, type BenchContext, createThrowawayDatabase, startChild } from '@usher/test-support/bench';
import { usherEnv } from './usher-env.ts';
import { backToBack, medianRound, roundRatios, type Round } from './paired-rounds.ts';
import { issuedToken, type IssuedToken } from './jose-costs.ts';
import {
  describeRun,
  fetchAccessToken,
  issuerReady,
  loadTokenEndpoint,
  type IssuerReady,
  type LoadRun,
} from './token-endpoint-load.ts';

export type AccessTokenAlg = 'ES256' | 'RS256';

const load = { connections: 50, seconds: 6, warmupSeconds: 2 };
const rounds = 5;
const warmUp = { connections: 50, seconds: 4, warmupSeconds: 0 };

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
      script: path.join(import.meta.dirname, 'plain-provider-server.ts'),
      args: [alg],
      env: { ...process.env, NODE_ENV: 'production' },
      readyLine: issuerReady,
    }),
    startChild(context.teardown, {
      script: path.join(import.meta.dirname, 'usher-server.ts'),
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
 * both signing access tokens with ES256, in five rounds of back-to-back runs (which goes first
 * alternates), the median round kept
 * (see paired-rounds.ts); then the same with a second pair of children signing with RS256.
 */
export async function benchClientCredentials(context: BenchContext): Promise<ClientCredentialsResults> {
  const run = async (label: string, server: IssuerReady) => {
    const result = await loadTokenEndpoint(label, server, load);
    context.log(`  ${describeRun(result)}`);
    return result;
  };

  context.log(
    `client credentials: ${load.connections} connections, POST /token, ${warmUp.seconds} s of warm-up per server, then ${rounds} rounds of ${load.warmupSeconds} s warm-up + ${load.seconds} s per run`,
  );
  const runs: Record<AccessTokenAlg, Round<LoadRun, LoadRun>[]> = { ES256: [], RS256: [] };
  const pairs = {} as Record<AccessTokenAlg, Pair>;
  for (const alg of ['ES256', 'RS256'] as const) {
    const pair = await startPair(context, alg);
    pairs[alg] = pair;
    // Both servers' code is compiled and their caches filled before anything is timed: Usher runs more
    // code per request (and PostgreSQL), and its first timed run used to lag the others by a fifth.
    for (const child of [pair.plain, pair.usher]) await loadTokenEndpoint('warm-up', child.ready, warmUp);
    for (let round = 1; round <= rounds; round += 1) {
      const { yardstick, ours } = await backToBack(
        round,
        () => run(`plain oidc-provider ${alg} run ${round}`, pair.plain.ready),
        () => run(`Usher ${alg} run ${round}`, pair.usher.ready),
      );
      const ratio = ours.tokensPerSecond / yardstick.tokensPerSecond;
      runs[alg].push({ ours, yardstick, ratio, clean: ours.failures === 0 && yardstick.failures === 0 });
    }
    await pair.stop();
    context.log(`  ${alg} Usher/plain per round: ${roundRatios(runs[alg])} (the median round is kept)`);
  }
  const kept = (alg: AccessTokenAlg) => medianRound(runs[alg]);

  return {
    databases: [pairs.ES256.database, pairs.RS256.database],
    plain: { ES256: kept('ES256').yardstick, RS256: kept('RS256').yardstick },
    usher: { ES256: kept('ES256').ours, RS256: kept('RS256').ours },
    tokens: { ES256: pairs.ES256.tokens, RS256: pairs.RS256.tokens },
  };
}
