import { percent, perSecond, type ReportRow, times } from '@usher/test-support/bench';
import type { DetailsRun } from './film-details-load.ts';
import type { FilmsResults } from './films-bench.ts';

const verdict = (ratio: number, goal: number) => (ratio >= goal ? 'PASS' : 'MISS');

function outageRow(name: string, run: DetailsRun, running: DetailsRun): ReportRow {
  const errorRate = run.attempts ? run.failures / run.attempts : 1;
  const ratio = run.latencyP99Ms / Math.max(running.latencyP99Ms, 1);
  const met = run.failures === 0 && run.answered > 0 && ratio <= 1.2;
  return {
    measure: `valid tokens, provider ${name}`,
    figure: `p99 ${run.latencyP99Ms} ms, ${run.failures} errors (${percent(errorRate)})`,
    comparison: `running: p99 ${running.latencyP99Ms} ms, ${running.failures} errors`,
    ratio: percent(ratio),
    goal: '0 errors, p99 <= 120%',
    result: running.failures ? 'INVALID (errors while running)' : met ? 'PASS' : 'MISS',
  };
}

/** The films rows of the bench table. */
export function filmsRows(results: FilmsResults): ReportRow[] {
  const { token, none, introspection, bare } = results.runs;
  const clean = token.failures === 0 && none.failures === 0;
  const againstNone = token.requestsPerSecond / none.requestsPerSecond;
  const againstIntrospection = token.requestsPerSecond / introspection.requestsPerSecond;
  // Without a 200 the introspection variant answered films' own 403 without a subscriber: a figure
  // that only bounds real introspection from above.
  const upperBound = results.introspection.status !== 200;
  const rows: ReportRow[] = [
    {
      measure: 'film details req/s, token check vs none',
      figure: `token check ${perSecond(token.requestsPerSecond)}`,
      comparison: `no check ${perSecond(none.requestsPerSecond)}`,
      ratio: percent(againstNone),
      goal: '>= 80%',
      result: clean ? verdict(againstNone, 0.8) : 'INVALID (errors)',
    },
    {
      measure: 'film details req/s, token check vs introspection',
      figure: `token check ${perSecond(token.requestsPerSecond)}`,
      comparison: `introspection${upperBound ? ' (upper bound)' : ''} ${perSecond(introspection.requestsPerSecond)}`,
      ratio: times(againstIntrospection),
      goal: '>= 2.50x',
      result:
        token.failures || introspection.failures
          ? 'INVALID (errors)'
          : `${verdict(againstIntrospection, 2.5)}${upperBound ? '*' : ''}`,
    },
    {
      measure: 'same answer from bare Node http',
      figure: `token check ${perSecond(token.requestsPerSecond)}`,
      comparison: `bare http ${perSecond(bare.requestsPerSecond)}`,
      ratio: percent(token.requestsPerSecond / bare.requestsPerSecond),
      goal: '-',
      result: bare.failures ? 'INVALID (errors)' : 'info',
    },
  ];
  const cpu = results.cpuMicros;
  if (cpu.token && cpu.none) {
    const cpuRatio = cpu.none / cpu.token;
    // Throughput swings with other load on the machine; say so when the steadier CPU figure disagrees.
    if (clean && verdict(cpuRatio, 0.8) !== rows[0]!.result) rows[0]!.result += `? (CPU: ${verdict(cpuRatio, 0.8)})`;
    rows.push({
      measure: 'films CPU per request, token check vs none',
      figure: `token check ${cpu.token.toFixed(0)} µs`,
      comparison: `no check ${cpu.none.toFixed(0)} µs`,
      ratio: percent(cpuRatio),
      goal: '-',
      result: 'info',
    });
  }
  const { runningBeforeKill, killed, runningBeforeHang, hung } = results.outage;
  rows.push(outageRow('killed', killed, runningBeforeKill), outageRow('hung', hung, runningBeforeHang));
  return rows;
}

/** What the films rows need said beside the table. */
export function filmsNotes(results: FilmsResults): string[] {
  const notes = [
    `Films: GET /api/v1/films/{id} of a film rated ${results.film.imdb_rating} (above the public 7.0 limit) with a pro_read subscriber's client-credentials token, from the response cache; ` +
      "the three films children differ only in the verifier handed to buildApp (the kit's TokenVerifier, none, or RFC 7662 introspection on every request), and bare http serves the same bytes. " +
      'Films logs one JSON line per request (to /dev/null) and follows the revocation feed, as in production.',
    `Films outage: the provider was SIGKILLed, and after a restart SIGSTOPped; each is compared with the running run measured just before it (before the kill; after the restart, before the hang); each outage run started ${results.outageLeadMs / 1000} s into the outage, past films' longest key cache age (keys refreshed every ${results.keyCacheMs / 1000} s), ` +
      'and used tokens films had never seen, so their signatures were checked against the last good keys during the outage.',
    `Films databases: ${results.databases.join('; ')}.`,
  ];
  if (results.introspection.status !== 200) {
    notes.push(
      `* Introspection: films answered ${results.introspection.status}, not 200, because ${results.introspection.reason ?? 'of the provider'}. ` +
        'The provider introspects its JWT access tokens, so this means the introspection did not answer active for the subscriber (or the provider was not reached): ' +
        'films served the caller as anonymous, so each request paid the round trip but not a subscriber answer; the introspection figure is an upper bound, and the ratio a lower bound.',
    );
  }
  return notes;
}
