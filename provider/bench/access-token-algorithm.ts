import type { BenchContext } from '@usher/test-support/bench';
import type { AccessTokenAlg, ClientCredentialsResults } from './client-credentials-bench.ts';
import { measureSigning, measureVerification, type JoseRate } from './jose-costs.ts';

const seconds = 2;
const algorithms = ['ES256', 'RS256'] as const;

export interface JoseCosts {
  sign: Record<AccessTokenAlg, JoseRate>;
  verify: Record<AccessTokenAlg, JoseRate>;
}

/** jose signing and verification of one Usher access token of each algorithm, in this process. */
export async function benchJoseCosts(
  context: BenchContext,
  issued: ClientCredentialsResults['tokens'],
): Promise<JoseCosts> {
  context.log(`jose, in this process: sign and verify one Usher access token of each algorithm, ${seconds} s each`);
  const costs = { sign: {}, verify: {} } as JoseCosts;
  for (const alg of algorithms) {
    costs.sign[alg] = await measureSigning(issued[alg], seconds);
    costs.verify[alg] = await measureVerification(issued[alg], seconds);
    context.log(
      `  ${alg}: ${costs.sign[alg].perSecond.toFixed(0)} signatures/s, ${costs.verify[alg].perSecond.toFixed(0)} verifications/s (${issued[alg].token.length}-byte token)`,
    );
  }
  return costs;
}

/**
 * The choice in one line, from the signature and verification costs (steady, unlike throughput on a
 * shared machine). The provider is the one shared bottleneck, while resource servers scale out and
 * verify in a fraction of their own request time, so the algorithm that is cheaper to sign wins; the
 * line says how many checks per token it takes for the other one to be cheaper summed over all
 * machines, and what the end-to-end runs showed.
 */
export function algorithmConclusion(
  costs: JoseCosts,
  issuance: { usher: Record<AccessTokenAlg, number>; plain: Record<AccessTokenAlg, number> },
  configured: AccessTokenAlg,
): string {
  const signUs = (alg: AccessTokenAlg) => 1e6 / costs.sign[alg].perSecond;
  const verifyUs = (alg: AccessTokenAlg) => 1e6 / costs.verify[alg].perSecond;
  const pick: AccessTokenAlg = signUs('ES256') <= signUs('RS256') ? 'ES256' : 'RS256';
  const other: AccessTokenAlg = pick === 'ES256' ? 'RS256' : 'ES256';
  const verdict = pick === configured ? `keep ACCESS_TOKEN_ALG=${configured}` : `switch ACCESS_TOKEN_ALG to ${pick}`;
  const saving = signUs(other) - signUs(pick);
  const penalty = verifyUs(pick) - verifyUs(other);
  const facts =
    `jose signs in ${signUs('ES256').toFixed(0)} µs (ES256) vs ${signUs('RS256').toFixed(0)} µs (RS256) and verifies in ` +
    `${verifyUs('ES256').toFixed(0)} µs vs ${verifyUs('RS256').toFixed(0)} µs`;
  const endToEnd =
    `End to end in this run, ${pick} tokens came ${(issuance.usher[pick] / issuance.usher[other]).toFixed(2)}x as fast as ` +
    `${other} from Usher and ${(issuance.plain[pick] / issuance.plain[other]).toFixed(2)}x from plain oidc-provider.`;
  if (penalty <= 0) {
    return `Access-token algorithm: ${verdict}, cheaper both to sign and to verify: ${facts}. ${endToEnd}`;
  }
  const checks = Math.max(1, Math.round(saving / penalty));
  return (
    `Access-token algorithm: ${verdict}. ${facts}: ${pick} saves the provider ${saving.toFixed(0)} µs per token and costs ` +
    `each check ${penalty.toFixed(0)} µs more, so ${other} is cheaper summed over all machines once a token is checked ` +
    `more than ~${checks} time${checks === 1 ? '' : 's'}; that cost is spread over resource servers that scale out, ` +
    `while issuing is concentrated on the provider. ${endToEnd}`
  );
}
