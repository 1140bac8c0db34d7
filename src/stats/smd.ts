import { mean } from './mean.ts';
import { variance } from './variance.ts';

export interface MeanDifference {
  meanTreated: number;
  meanControl: number;
  /** (x̄_t - x̄_c) / sqrt((s²_t + s²_c) / 2); 0 when both arms are constant and equal. */
  smd: number;
  /** s²_t / s²_c; undefined when the control variance is zero. */
  varianceRatio: number | undefined;
}

/**
 * Standardised mean difference with the pooled standard deviation of the two arms (Austin 2009,
 * "Balance diagnostics for comparing the distribution of baseline covariates between treatment
 * groups in propensity-score matched samples", Stat Med 28:3083). The causal engine's balance tables
 * follow MatchIt's conventions instead (denominator from the full sample's treated arm for ATT).
 */
export function standardizedMeanDifference(treated: ArrayLike<number>, control: ArrayLike<number>): MeanDifference {
  const mt = mean(treated);
  const mc = mean(control);
  const vt = variance(treated);
  const vc = variance(control);
  const pooled = Math.sqrt(((Number.isNaN(vt) ? 0 : vt) + (Number.isNaN(vc) ? 0 : vc)) / 2);
  const diff = mt - mc;
  const smd = pooled > 0 ? diff / pooled : diff === 0 ? 0 : Math.sign(diff) * Infinity;
  return { meanTreated: mt, meanControl: mc, smd, varianceRatio: vc > 0 ? vt / vc : undefined };
}
