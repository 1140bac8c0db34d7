import { mean } from './mean.ts';
import { variance } from './variance.ts';

/**
 * Cohen's d = (mean_x - mean_y) / s_pooled, s_pooled^2 = ((n_x - 1) s_x^2 + (n_y - 1) s_y^2) / (n_x + n_y - 2)
 * (Cohen 1988). For paired samples, d_z = mean(x - y) / sd(x - y).
 */
export function cohensD(x: ArrayLike<number>, y: ArrayLike<number>, paired = false): number {
  if (paired) {
    const d = Float64Array.from(x, (v, i) => v - y[i]);
    return mean(d) / Math.sqrt(variance(d));
  }
  const nx = x.length;
  const ny = y.length;
  const pooled = ((nx - 1) * variance(x) + (ny - 1) * variance(y)) / (nx + ny - 2);
  return (mean(x) - mean(y)) / Math.sqrt(pooled);
}

/**
 * Cliff's delta = (#{x_i > y_j} - #{x_i < y_j}) / (n_x n_y) (Cliff 1993), in O((n_x + n_y) log n) by
 * counting with a sorted y.
 */
export function cliffsDelta(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const sorted = Float64Array.from(y).sort();
  const lowerBound = (v: number) => {
    let lo = 0, hi = sorted.length;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (sorted[mid] < v) lo = mid + 1; else hi = mid; }
    return lo;
  };
  const upperBound = (v: number) => {
    let lo = 0, hi = sorted.length;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (sorted[mid] <= v) lo = mid + 1; else hi = mid; }
    return lo;
  };
  let greater = 0;
  let less = 0;
  for (let i = 0; i < x.length; i++) {
    greater += lowerBound(x[i]);
    less += sorted.length - upperBound(x[i]);
  }
  return (greater - less) / (x.length * sorted.length);
}
