// Statistics helpers for the BTP sampler tests (not a test file itself).

/** Pearson's chi-square statistic of observed counts against expected probabilities (cells with p = 0 must be empty). */
export function chiSquare(counts: ArrayLike<number>, probs: ArrayLike<number>, draws: number): { stat: number; df: number } {
  let stat = 0;
  let cells = 0;
  for (let i = 0; i < counts.length; i++) {
    const e = probs[i]! * draws;
    if (e === 0) {
      if (counts[i]! !== 0) return { stat: Infinity, df: 1 };
      continue;
    }
    stat += (counts[i]! - e) ** 2 / e;
    cells++;
  }
  return { stat, df: cells - 1 };
}

/** Upper critical value of chi-square with df degrees of freedom at p = 0.001 (Wilson–Hilferty; z = 3.0902). */
export function chiSquareCritical001(df: number): number {
  const z = 3.0902;
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}
