/**
 * Outcome models after matching (MatchIt's "Estimating effects after matching" vignette):
 * - unadjusted: lm(y ~ treat, weights) on the matched rows; the coefficient of treat is the effect;
 * - covariate-adjusted: g-computation with y ~ treat * (x1 + ... + xp) (gcomputation.ts);
 * SEs (`se`), as the vignette recommends: after matching without replacement, cluster-robust by matched
 * set (`pair`: sandwich::vcovCL(cluster = ~subclass), HC1 with G/(G-1)); after matching with
 * replacement, on MatchIt's get_matches() rows (a unit appears once per pair it is in, a control
 * weighted 1/k for its focal unit's k matches) clustered by pair and by unit (`pair-and-unit`:
 * vcovCL(cluster = ~subclass + id)); `HC3` (vcovHC on match.data) on request.
 */
import type { CoefficientTest } from './inference.ts';
import type { MatchResult } from './matching.ts';
import type { VcovSpec } from './vcov.ts';
import type { DesignMatrix } from './design.ts';
import { gComputation } from './gcomputation.ts';
import { gatherInt } from './gather.ts';
import { UserError } from '../util/errors.ts';

export interface MatchedEffect {
  estimand: 'ATT' | 'ATC';
  test: CoefficientTest;
  vcov: string;
  nRows: number;
  adjusted: boolean;
  warnings: string[];
}

export type MatchedSe = 'pair' | 'pair-and-unit' | 'HC3';

/** MatchIt's get_matches(): one row per unit per pair; `pair` numbers the matched focal units 0.. in their order. */
export interface PairRows {
  unit: Int32Array;
  pair: Int32Array;
  weight: Float64Array;
}

export function pairRows(match: MatchResult): PairRows {
  const ratio = match.options.ratio;
  const unit: number[] = [];
  const pair: number[] = [];
  const weight: number[] = [];
  let p = 0;
  match.focalUnits.forEach((f, r) => {
    let k = 0;
    for (let j = 0; j < ratio; j++) if (match.matched[r * ratio + j] >= 0) k++;
    if (k === 0) return;
    unit.push(f); pair.push(p); weight.push(1);
    for (let j = 0; j < ratio; j++) {
      const c = match.matched[r * ratio + j];
      if (c >= 0) { unit.push(c); pair.push(p); weight.push(1 / k); }
    }
    p++;
  });
  return { unit: Int32Array.from(unit), pair: Int32Array.from(pair), weight: Float64Array.from(weight) };
}

export interface MatchedEffectOptions {
  /** Covariates for g-computation (full data; an intercept column is skipped). */
  covariates?: DesignMatrix;
  /** The SE: by pair (default without replacement), by pair and unit (default with replacement), or HC3. */
  se?: MatchedSe;
  /** A covariance on match.data instead (classical or HC0-HC3); `se` is then ignored. */
  vcov?: 'HC0' | 'HC1' | 'HC2' | 'HC3' | 'classical';
  clusterType?: 'HC0' | 'HC1';
  cadjust?: boolean;
  level?: number;
}

export function matchedEffect(y: ArrayLike<number>, treat: ArrayLike<number>, match: MatchResult, options: MatchedEffectOptions = {}): MatchedEffect {
  let count = 0;
  for (let i = 0; i < match.weights.length; i++) if (match.weights[i] > 0) count++;
  const rows = new Int32Array(count);
  for (let i = 0, r = 0; i < match.weights.length; i++) if (match.weights[i] > 0) rows[r++] = i;
  const kind = options.vcov ?? options.se ?? (match.options.replace ? 'pair-and-unit' : 'pair');
  if (kind === 'pair' && match.options.replace) throw new UserError('clustering by pair alone needs matching without replacement: a control in several pairs ties them together', { hint: "use the default for matching with replacement, clustering by pair and unit (se 'pair-and-unit'), or HC3" });
  const target = match.estimand;
  const covariates = options.covariates;
  let result;
  let described: string;
  if (kind === 'pair-and-unit') {
    const rows = pairRows(match);
    result = gComputation({ y, treat, covariates, rows: rows.unit, rowWeights: rows.weight, target, vcov: { type: 'twoWayCluster', clusters: [rows.pair, rows.unit], hc: options.clusterType ?? 'HC1', cadjust: options.cadjust ?? true }, level: options.level });
    described = `cluster-robust by pair and by unit on get_matches() rows (${options.clusterType ?? 'HC1'}${options.cadjust === false ? '' : ', G/(G-1) each'})`;
  } else {
    const spec: VcovSpec = kind === 'pair'
      ? { type: 'cluster', cluster: gatherInt(match.subclass, rows), hc: options.clusterType ?? 'HC1', cadjust: options.cadjust ?? true }
      : { type: kind };
    result = gComputation({ y, treat, covariates, rows, weights: match.weights, target, vcov: spec, level: options.level });
    described = kind === 'pair' ? `cluster-robust by matched set (${options.clusterType ?? 'HC1'}${options.cadjust === false ? '' : ', G/(G-1)'})` : kind;
  }
  return {
    estimand: match.estimand,
    test: result.test,
    vcov: described,
    nRows: result.nRows,
    adjusted: Boolean(options.covariates && options.covariates.k > 0),
    warnings: result.fit.warnings,
  };
}
