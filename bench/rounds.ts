// Figures on a small shared machine move by ±20% from one measurement to the next, and a
// ratio of two measurements taken seconds apart moves with them. So a section measures its
// figure and its reference in alternating rounds, and reports the median of each figure and
// of each round's ratio (a ratio is taken within its round, where both sides saw the same
// machine).

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Runs `round` `count` times, one after the other; the median of every figure it returns. */
export async function medianOfRounds<K extends string>(
  count: number,
  round: () => Promise<Record<K, number>>,
): Promise<Record<K, number> & { rounds: number }> {
  const results: Record<K, number>[] = [];
  for (let i = 0; i < count; i++) results.push(await round());
  const out = { rounds: count } as Record<K, number> & { rounds: number };
  for (const key of Object.keys(results[0]) as K[]) {
    (out as Record<K, number>)[key] = median(results.map((r) => r[key]));
  }
  return out;
}
