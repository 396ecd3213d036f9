/** One round: our run and the yardstick's, measured back to back, and their ratio. */
export interface Round<Ours, Yardstick> {
  ours: Ours;
  yardstick: Yardstick;
  /** ours / yardstick, in the units the goal is set in. */
  ratio: number;
  /** Neither run had failed requests. */
  clean: boolean;
}

/**
 * The round whose ratio is the median of all rounds. Two runs measured back to back see the same
 * machine, while a shared machine's speed drifts between rounds (seen here: the bare argon2 rate
 * moving by a fifth from one round to the next), so "the best of each side" can pair one side's
 * fast moment with the other's slow one. The median round's ratio is the steadier figure, and its
 * two runs are the figures shown next to it. Rounds with failures count only when all have some.
 */
export function medianRound<Ours, Yardstick>(rounds: Round<Ours, Yardstick>[]): Round<Ours, Yardstick> {
  const clean = rounds.filter((round) => round.clean);
  const pool = [...(clean.length ? clean : rounds)].sort((a, b) => a.ratio - b.ratio);
  const median = pool[Math.floor((pool.length - 1) / 2)];
  if (!median) throw new Error('no rounds');
  return median;
}

/**
 * Runs one round's two sides back to back: the yardstick first in odd rounds, ours first in even
 * ones, so that a drift within a round (or whatever the first run leaves behind) favours neither.
 */
export async function backToBack<Ours, Yardstick>(
  round: number,
  yardstick: () => Promise<Yardstick>,
  ours: () => Promise<Ours>,
): Promise<{ ours: Ours; yardstick: Yardstick }> {
  if (round % 2) {
    const measured = await yardstick();
    return { yardstick: measured, ours: await ours() };
  }
  const measured = await ours();
  return { ours: measured, yardstick: await yardstick() };
}

/** Every round's ratio, for the log: "88%, 74%, 81%". */
export const roundRatios = (rounds: Round<unknown, unknown>[]) =>
  rounds.map((round) => `${(round.ratio * 100).toFixed(0)}%`).join(', ');
