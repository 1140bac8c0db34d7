import { mean } from './mean.ts';

/** Sample variance s² = Σ(x - x̄)² / (n - 1), two-pass for accuracy. NaN for fewer than two values. */
export function variance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return NaN;
  const m = mean(values);
  let ss = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - m;
    ss += d * d;
    comp += d;
  }
  return (ss - (comp * comp) / n) / (n - 1);
}
