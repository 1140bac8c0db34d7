import { mean } from './mean.ts';
import { variance } from './variance.ts';
import { tQuantile, twoSidedT } from './distributions.ts';

export interface TTest {
  statistic: number;
  df: number;
  p: number;
  ci: [number, number];
  estimate: number;
}

function tResult(estimate: number, se: number, df: number, level: number): TTest {
  const t = estimate / se;
  const q = tQuantile(1 - (1 - level) / 2, df);
  return { statistic: t, df, p: twoSidedT(t, df), ci: [estimate - q * se, estimate + q * se], estimate };
}

/** Paired t-test of mean(x - y) = 0: t = dbar / (s_d / sqrt(n)), df n - 1 (Student 1908). */
export function pairedTTest(x: ArrayLike<number>, y: ArrayLike<number>, level = 0.95): TTest {
  if (x.length !== y.length) throw new Error('paired samples must have equal length');
  const d = Float64Array.from(x, (v, i) => v - y[i]);
  return tResult(mean(d), Math.sqrt(variance(d) / d.length), d.length - 1, level);
}

/** Welch's t-test of mean(x) = mean(y) with Satterthwaite's df (Welch 1947). */
export function welchTTest(x: ArrayLike<number>, y: ArrayLike<number>, level = 0.95): TTest {
  const vx = variance(x) / x.length;
  const vy = variance(y) / y.length;
  const df = (vx + vy) ** 2 / (vx ** 2 / (x.length - 1) + vy ** 2 / (y.length - 1));
  return tResult(mean(x) - mean(y), Math.sqrt(vx + vy), df, level);
}
