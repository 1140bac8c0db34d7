/**
 * Outcome models after matching (MatchIt's "Estimating effects after matching" vignette):
 * - unadjusted: lm(y ~ treat, weights) on the matched rows; the coefficient of treat is the effect;
 *   SE cluster-robust by subclass (sandwich::vcovCL, HC1 with G/(G-1), as MatchIt recommends) when
 *   matching was without replacement, HC3 with replacement;
 * - covariate-adjusted g-computation: lm(y ~ treat * (x1 + ... + xp), weights); the effect is the
 *   weighted mean over the focal group of the predicted difference between treat = 1 and treat = 0,
 *   with the delta-method SE from the same robust covariance.
 */
import { coefficientTest, type CoefficientTest } from './inference.ts';
import type { MatchResult } from './matching.ts';
import { fitLinear } from './ols.ts';
import { vcov, type VcovSpec } from './vcov.ts';
import type { DesignMatrix } from './design.ts';

export interface MatchedEffect {
  estimand: 'ATT' | 'ATC';
  test: CoefficientTest;
  vcov: string;
  nRows: number;
  adjusted: boolean;
  warnings: string[];
}

export interface MatchedEffectOptions {
  /** Covariates for g-computation (a full-data design without intercept, or with it: it is skipped). */
  covariates?: DesignMatrix;
  /** Override the covariance: default cluster-by-subclass (no replacement) or HC3 (replacement). */
  vcov?: 'cluster' | 'HC0' | 'HC1' | 'HC2' | 'HC3' | 'classical';
  clusterType?: 'HC0' | 'HC1';
  cadjust?: boolean;
  level?: number;
}

export function matchedEffect(y: Float64Array, treat: ArrayLike<number>, match: MatchResult, options: MatchedEffectOptions = {}): MatchedEffect {
  const rows: number[] = [];
  match.weights.forEach((w, i) => w > 0 && rows.push(i));
  const m = rows.length;
  const warnings: string[] = [];
  const cov = options.covariates;
  const covCols = cov ? cov.names.map((name, j) => ({ name, j })).filter((c) => c.name !== '(Intercept)') : [];
  const p = covCols.length;
  const k = 2 + 2 * p;
  const X = new Float64Array(m * k);
  const names = ['(Intercept)', 'treat'];
  for (let r = 0; r < m; r++) {
    X[r] = 1;
    X[m + r] = treat[rows[r]];
  }
  covCols.forEach(({ name, j }, c) => {
    names.push(name);
    for (let r = 0; r < m; r++) X[(2 + c) * m + r] = cov!.X[j * cov!.n + rows[r]];
  });
  covCols.forEach(({ name }, c) => {
    names.push(`treat:${name}`);
    for (let r = 0; r < m; r++) X[(2 + p + c) * m + r] = treat[rows[r]] * X[(2 + c) * m + r];
  });
  const fit = fitLinear({ X, n: m, k, names, sources: names }, Float64Array.from(rows, (i) => y[i]), Float64Array.from(rows, (i) => match.weights[i]));
  warnings.push(...fit.warnings);
  const replace = match.options.replace;
  const kind = options.vcov ?? (replace ? 'HC3' : 'cluster');
  const spec: VcovSpec = kind === 'cluster'
    ? { type: 'cluster', cluster: Int32Array.from(rows, (i) => match.subclass[i]), hc: options.clusterType ?? 'HC1', cadjust: options.cadjust ?? true }
    : { type: kind };
  if (kind === 'cluster' && replace) throw new Error('cluster-by-subclass SEs need matching without replacement (use HC3)');
  const V = vcov(fit, spec);
  // gradient of the focal-group mean predicted difference: d/dbeta = (0, 1, 0.., xbar_focal)
  const focalArm = match.estimand === 'ATT' ? 1 : 0;
  const g = new Float64Array(fit.k);
  const ti = fit.names.indexOf('treat');
  if (ti < 0) throw new Error('the treatment was dropped from the outcome model as collinear');
  g[ti] = 1;
  let sw = 0;
  for (let r = 0; r < m; r++) if (treat[rows[r]] === focalArm) sw += match.weights[rows[r]];
  covCols.forEach(({ name }, c) => {
    const gi = fit.names.indexOf(`treat:${name}`);
    if (gi < 0) return;
    let s = 0;
    for (let r = 0; r < m; r++) if (treat[rows[r]] === focalArm) s += match.weights[rows[r]] * X[(2 + c) * m + r];
    g[gi] = s / sw;
  });
  let estimate = 0;
  let variance = 0;
  for (let a = 0; a < fit.k; a++) {
    estimate += g[a] * fit.coefficients[a];
    for (let b = 0; b < fit.k; b++) variance += g[a] * V[a * fit.k + b] * g[b];
  }
  return {
    estimand: match.estimand,
    test: coefficientTest(estimate, Math.sqrt(variance), fit.dfResidual, options.level ?? 0.95),
    vcov: kind === 'cluster' ? `cluster by matched set (${spec.type === 'cluster' ? spec.hc : ''}${options.cadjust === false ? '' : ', G/(G-1)'})` : kind,
    nRows: m,
    adjusted: p > 0,
    warnings,
  };
}
