/**
 * Rank tests with R's wilcox.test(exact = FALSE, correct = TRUE) conventions: normal approximation,
 * tie-corrected variance, continuity correction 0.5 towards the mean.
 * Signed rank (Wilcoxon 1945) on d = x - y: zeros dropped, V = sum of ranks of |d| with d > 0,
 * var = n(n+1)(2n+1)/24 - sum(t^3 - t)/48. Mann-Whitney (1947): W = rank sum of x in the pooled sample
 * - n1(n1+1)/2, var = n1 n2 / 12 [(N + 1) - sum(t^3 - t) / (N (N - 1))].
 */
import { averageRanks } from './ranks.ts';
import { normalCdf, twoSidedNormal } from './distributions.ts';

export interface RankTest {
  statistic: number;
  z: number;
  p: number;
  n: number;
  zerosDropped?: number;
}

function corrected(stat: number, mean: number, sd: number): number {
  const diff = stat - mean;
  return (diff - Math.sign(diff) * 0.5) / sd;
}

/**
 * `alternative` as R's: 'less' tests whether the location of x - y is below 0 (continuity correction
 * -0.5 in the numerator), 'greater' above 0 (+0.5), 'two.sided' either (sign(z) * 0.5).
 */
export function signedRankTest(x: ArrayLike<number>, y?: ArrayLike<number>, alternative: 'two.sided' | 'less' | 'greater' = 'two.sided'): RankTest {
  const d: number[] = [];
  let zeros = 0;
  for (let i = 0; i < x.length; i++) {
    const v = y ? x[i] - y[i] : x[i];
    if (v === 0) zeros++;
    else d.push(v);
  }
  const n = d.length;
  if (n === 0) return { statistic: 0, z: NaN, p: 1, n: 0, zerosDropped: zeros };
  const { ranks, ties } = averageRanks(d.map(Math.abs));
  let v = 0;
  d.forEach((di, i) => { if (di > 0) v += ranks[i]; });
  const mean = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - ties.reduce((s, t) => s + t ** 3 - t, 0) / 48;
  if (alternative !== 'two.sided') {
    const zOne = variance > 0 ? (v - mean - (alternative === 'greater' ? 0.5 : -0.5)) / Math.sqrt(variance) : NaN;
    const p = variance > 0 ? (alternative === 'less' ? normalCdf(zOne) : 1 - normalCdf(zOne)) : 1;
    return { statistic: v, z: zOne, p, n, zerosDropped: zeros };
  }
  const z = variance > 0 ? corrected(v, mean, Math.sqrt(variance)) : NaN;
  return { statistic: v, z, p: variance > 0 ? twoSidedNormal(z) : 1, n, zerosDropped: zeros };
}

export function mannWhitneyTest(x: ArrayLike<number>, y: ArrayLike<number>): RankTest {
  const n1 = x.length;
  const n2 = y.length;
  const N = n1 + n2;
  const pooled = new Float64Array(N);
  pooled.set(Array.from(x));
  pooled.set(Array.from(y), n1);
  const { ranks, ties } = averageRanks(pooled);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += ranks[i];
  const w = r1 - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (N + 1 - ties.reduce((s, t) => s + t ** 3 - t, 0) / (N * (N - 1)));
  const z = variance > 0 ? corrected(w, mean, Math.sqrt(variance)) : NaN;
  return { statistic: w, z, p: variance > 0 ? twoSidedNormal(z) : 1, n: N };
}
