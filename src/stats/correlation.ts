/**
 * Correlations as R's cor.test: Pearson's r with t = r sqrt((n-2)/(1-r^2)), df n - 2, and the Fisher-z
 * interval tanh(atanh(r) +- z_{1-a/2} / sqrt(n - 3)); Spearman's rho = Pearson's r of average ranks,
 * p from the same t approximation (exact = FALSE), S = (n^3 - n)(1 - rho) / 6, and a Fisher-z interval
 * with Bonett & Wright's variance (1 + rho^2 / 2) / (n - 3) (Psychometrika 65(1), 2000).
 */
import { normalQuantile, twoSidedT } from './distributions.ts';
import { averageRanks } from './ranks.ts';

export interface Correlation {
  estimate: number;
  statistic: number;
  df: number;
  p: number;
  ci?: [number, number];
  S?: number;
}

function pearsonR(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx;
    const b = y[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxy / Math.sqrt(sxx * syy);
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>, level = 0.95): Correlation {
  const n = x.length;
  if (n !== y.length || n < 3) throw new Error('correlation needs two samples of equal length, at least 3');
  const r = pearsonR(x, y);
  const df = n - 2;
  const t = (r * Math.sqrt(df)) / Math.sqrt(1 - r * r);
  const q = normalQuantile(1 - (1 - level) / 2);
  const ci: [number, number] | undefined = n > 3 ? [Math.tanh(Math.atanh(r) - q / Math.sqrt(n - 3)), Math.tanh(Math.atanh(r) + q / Math.sqrt(n - 3))] : undefined;
  return { estimate: r, statistic: t, df, p: twoSidedT(t, df), ci };
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>, level = 0.95): Correlation {
  const n = x.length;
  if (n !== y.length || n < 3) throw new Error('correlation needs two samples of equal length, at least 3');
  const rho = pearsonR(averageRanks(x).ranks, averageRanks(y).ranks);
  const df = n - 2;
  const t = (rho * Math.sqrt(df)) / Math.sqrt(1 - rho * rho);
  const q = normalQuantile(1 - (1 - level) / 2);
  const se = Math.sqrt((1 + (rho * rho) / 2) / (n - 3));
  const ci: [number, number] | undefined = n > 3 ? [Math.tanh(Math.atanh(rho) - q * se), Math.tanh(Math.atanh(rho) + q * se)] : undefined;
  return { estimate: rho, statistic: t, df, p: twoSidedT(t, df), ci, S: ((n ** 3 - n) * (1 - rho)) / 6 };
}
