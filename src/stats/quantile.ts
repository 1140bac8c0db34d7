/**
 * Quantile by linear interpolation between order statistics: R's type 7 (the default of R's
 * `quantile` and numpy's `percentile`), h = (n - 1)p. Hyndman & Fan (1996).
 */
export function quantile(values: ArrayLike<number>, p: number): number {
  const n = values.length;
  if (n === 0 || !(p >= 0 && p <= 1)) return NaN;
  return quantileOfSorted(Float64Array.from(values).sort(), p);
}

/** The type-7 quantile of values already sorted ascending (no copy, no check of the order). */
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0 || !(p >= 0 && p <= 1)) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
