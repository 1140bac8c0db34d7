/**
 * Distribution functions, from @stdlib (which matches R to ~1e-15 in the body and keeps relative
 * accuracy in the tails): standard normal and Student t CDFs and quantiles.
 */
import normalCdfFn from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantileFn from '@stdlib/stats-base-dists-normal-quantile';
import tCdfFn from '@stdlib/stats-base-dists-t-cdf';
import tQuantileFn from '@stdlib/stats-base-dists-t-quantile';

export const normalCdf = (x: number): number => normalCdfFn(x, 0, 1);
export const normalQuantile = (p: number): number => normalQuantileFn(p, 0, 1);
export const tCdf = (x: number, df: number): number => tCdfFn(x, df);
export const tQuantile = (p: number, df: number): number => tQuantileFn(p, df);

/** Two-sided p-value of a t statistic: 2 P(T <= -|t|), computed in the lower tail for accuracy. */
export function twoSidedT(t: number, df: number): number {
  return Math.min(1, 2 * tCdf(-Math.abs(t), df));
}

export function twoSidedNormal(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}
