import { maxOf, minOf } from './extent.ts';
import { mean } from './mean.ts';
import { quantileOfSorted } from './quantile.ts';
import { variance } from './variance.ts';

export interface FiveNumberSummary {
  min: number;
  q25: number;
  median: number;
  q75: number;
  max: number;
}

export interface Description {
  mean: number;
  /** The sample SD (n - 1); 0 for a single value. */
  sd: number;
  min: number;
  median: number;
  max: number;
}

/**
 * Minimum, quartiles and maximum with type-7 quartiles: R's `summary()` without the mean, not
 * `fivenum()` (Tukey's hinges). NaN fields for an empty array.
 */
export function fiveNumberSummary(values: ArrayLike<number>): FiveNumberSummary {
  const sorted = Float64Array.from(values).sort();
  return {
    min: minOf(sorted),
    q25: quantileOfSorted(sorted, 0.25),
    median: quantileOfSorted(sorted, 0.5),
    q75: quantileOfSorted(sorted, 0.75),
    max: maxOf(sorted),
  };
}

/** Mean, sample SD (0 for one value), min, type-7 median and max: a covariate's line in a table. */
export function describe(values: ArrayLike<number>): Description {
  const sd = Math.sqrt(variance(values));
  const { min, median, max } = fiveNumberSummary(values);
  return { mean: mean(values), sd: Number.isNaN(sd) ? 0 : sd, min, median, max };
}

/** The sample standard deviation s = sqrt(Σ(x - x̄)² / (n - 1)); NaN for fewer than two values. */
export function sampleSd(values: ArrayLike<number>): number {
  return Math.sqrt(variance(values));
}
