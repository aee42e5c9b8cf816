/**
 * Agreement between two scorers on the same samples (two judges, or a judge and human labels):
 * Spearman's rho (Pearson correlation of average ranks, as scipy.stats.spearmanr), Kendall's
 * tau-b (as scipy.stats.kendalltau's default), Pearson's r, the exact-agreement rate and the mean
 * absolute difference.
 */

export interface Agreement {
  /** Samples both scored. */
  n: number;
  /** null when either side is constant (or n < 2). */
  spearman: number | null;
  kendallTauB: number | null;
  pearson: number | null;
  /** Share of samples with equal values. */
  exactAgreement: number | null;
  meanAbsoluteDifference: number | null;
}

/** Kendall's tau is computed over all pairs, O(n^2): at most this many samples. */
export const MAX_AGREEMENT_SAMPLES = 20_000;

export function agreement(x: readonly number[], y: readonly number[]): Agreement {
  if (x.length !== y.length) throw new Error('agreement needs two lists of equal length');
  const n = x.length;
  if (n === 0)
    return {
      n,
      spearman: null,
      kendallTauB: null,
      pearson: null,
      exactAgreement: null,
      meanAbsoluteDifference: null,
    };
  let equal = 0;
  let absolute = 0;
  for (let i = 0; i < n; i++) {
    if (x[i] === y[i]) equal += 1;
    absolute += Math.abs(x[i]! - y[i]!);
  }
  return {
    n,
    spearman: pearson(averageRanks(x), averageRanks(y)),
    kendallTauB: kendallTauB(x, y),
    pearson: pearson(x, y),
    exactAgreement: equal / n,
    meanAbsoluteDifference: absolute / n,
  };
}

/** 1-based ranks, ties getting the mean of the ranks they span. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && values[order[end + 1]!] === values[order[start]!]) end += 1;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]!] = rank;
    start = end + 1;
  }
  return ranks;
}

export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** tau-b = (C - D) / sqrt((P - Tx) (P - Ty)), P = n(n-1)/2, Tx/Ty = pairs tied in x / in y. */
export function kendallTauB(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n < 2) return null;
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0) tiedX += 1;
      if (dy === 0) tiedY += 1;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant += 1;
        else discordant += 1;
      }
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiedX) * (pairs - tiedY));
  return denominator === 0 ? null : (concordant - discordant) / denominator;
}
