/**
 * Outcome models after matching (MatchIt's "Estimating effects after matching" vignette):
 * - unadjusted: lm(y ~ treat, weights) on the matched rows; the coefficient of treat is the effect;
 * - covariate-adjusted: g-computation with y ~ treat * (x1 + ... + xp) (gcomputation.ts);
 * SEs are cluster-robust by matched set (sandwich::vcovCL, HC1 with G/(G-1), as MatchIt recommends)
 * after matching without replacement, and HC3 after matching with replacement.
 */
import type { CoefficientTest } from './inference.ts';
import type { MatchResult } from './matching.ts';
import type { VcovSpec } from './vcov.ts';
import type { DesignMatrix } from './design.ts';
import { gComputation } from './gcomputation.ts';
import { gatherInt } from './gather.ts';

export interface MatchedEffect {
  estimand: 'ATT' | 'ATC';
  test: CoefficientTest;
  vcov: string;
  nRows: number;
  adjusted: boolean;
  warnings: string[];
}

export interface MatchedEffectOptions {
  /** Covariates for g-computation (full data; an intercept column is skipped). */
  covariates?: DesignMatrix;
  /** Override the covariance: default cluster-by-matched-set (no replacement) or HC3 (replacement). */
  vcov?: 'cluster' | 'HC0' | 'HC1' | 'HC2' | 'HC3' | 'classical';
  clusterType?: 'HC0' | 'HC1';
  cadjust?: boolean;
  level?: number;
}

export function matchedEffect(y: ArrayLike<number>, treat: ArrayLike<number>, match: MatchResult, options: MatchedEffectOptions = {}): MatchedEffect {
  let count = 0;
  for (let i = 0; i < match.weights.length; i++) if (match.weights[i] > 0) count++;
  const rows = new Int32Array(count);
  for (let i = 0, r = 0; i < match.weights.length; i++) if (match.weights[i] > 0) rows[r++] = i;
  const kind = options.vcov ?? (match.options.replace ? 'HC3' : 'cluster');
  if (kind === 'cluster' && match.options.replace) throw new Error('cluster-by-matched-set SEs need matching without replacement (use HC3)');
  const spec: VcovSpec = kind === 'cluster'
    ? { type: 'cluster', cluster: gatherInt(match.subclass, rows), hc: options.clusterType ?? 'HC1', cadjust: options.cadjust ?? true }
    : { type: kind };
  const result = gComputation({ y, treat, covariates: options.covariates, rows, weights: match.weights, target: match.estimand, vcov: spec, level: options.level });
  return {
    estimand: match.estimand,
    test: result.test,
    vcov: kind === 'cluster' ? `cluster-robust by matched set (${options.clusterType ?? 'HC1'}${options.cadjust === false ? '' : ', G/(G-1)'})` : kind,
    nRows: result.nRows,
    adjusted: Boolean(options.covariates && options.covariates.k > 0),
    warnings: result.fit.warnings,
  };
}
