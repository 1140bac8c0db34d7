/**
 * The percentile bootstrap of a mean (Efron & Tibshirani 1993, ch. 13), without the general
 * machinery's per-replicate arrays: replicate r draws the same units, from the same generator seeded by
 * (seed, r), as `bootstrap(n, mean of rows, ...)` does, and sums them with the same compensated sum, so
 * the two give the same interval. The report calls it for every concept and node type over every
 * function: at 100k functions the general path spent most of the report's time allocating.
 */
import { createRandom, deriveSeed } from '../util/random.ts';
import { summariseBootstrap, type BootstrapOptions, type BootstrapResult } from './bootstrap.ts';
import { mean } from './mean.ts';

export function bootstrapMean(values: ArrayLike<number>, options: Omit<BootstrapOptions, 'cluster' | 'interval'>): BootstrapResult {
  const n = values.length;
  const seed = options.seed ?? 0;
  const replicates = new Float64Array(options.replicates);
  for (let r = 0; r < options.replicates; r++) {
    const rng = createRandom(deriveSeed(seed, `replicate-${r}`));
    let sum = 0;
    let c = 0;
    for (let k = 0; k < n; k++) {
      const v = values[rng.int(n)];
      const t = sum + v;
      c += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
      sum = t;
    }
    const m = (sum + c) / n;
    replicates[r] = Number.isFinite(m) ? m : NaN;
  }
  const statistic = (rows: Int32Array) => mean(Array.from(rows, (i) => values[i]));
  return summariseBootstrap(n, statistic, mean(values), replicates, { ...options, interval: 'percentile' });
}
