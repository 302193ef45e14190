// How both benchmarks compare targets on a shared machine whose speed drifts: every target is measured once per
// round, one after the other, and each figure reported is the median of its rounds.

/** Runs `once` on each target in turn for `rounds` rounds; the result holds each target's rows, in target order. */
export async function inTurns<T, R>(
  rounds: number,
  targets: readonly T[],
  once: (target: T, round: number) => Promise<R>,
): Promise<R[][]> {
  const runs = targets.map((): R[] => []);
  for (let r = 0; r < rounds; r++) for (let i = 0; i < targets.length; i++) runs[i].push(await once(targets[i], r));
  return runs;
}

/** The middle value (the upper one of an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

/**
 * a ÷ b for two targets measured in the same turns: one ratio per round, each pairing measurements taken seconds
 * apart, then their median and range. On a machine whose speed drifts, a ratio of medians could pair a fast
 * minute of one target with a slow minute of the other.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): { median: number; range: [number, number] } {
  const each = a.map((x, i) => (b[i] > 0 ? x / b[i] : 0));
  return { median: two(median(each)), range: [two(Math.min(...each)), two(Math.max(...each))] };
}

function two(x: number): number {
  return Number(x.toFixed(2));
}
