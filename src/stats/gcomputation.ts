/**
 * Regression adjustment by g-computation (Robins 1986; Snowden, Rose & Mortimer 2011, Am J Epidemiol
 * 173(7)): fit y ~ treat + X + treat:X (weighted, on chosen rows); the effect is the weighted mean, over
 * the target rows, of the predicted difference between treat = 1 and treat = 0, i.e.
 * beta_treat + sum_j beta_{treat:x_j} xbar_j. Its SE is the delta method with the given covariance
 * (classical, HC, or cluster-robust). With no covariates this is the coefficient of treat in y ~ treat.
 * With `interactions: false` the model is y ~ treat + X and the effect its treat coefficient (ATE under
 * a constant effect). With `population`, the SE also counts the covariate means' sampling variance
 * (the delta method on the stacked estimating equations of the means and the regression, whose
 * cross terms vanish for OLS; Imbens & Wooldridge 2009, J Econ Lit 47(1), section 5.3).
 */
import { coefficientTest, type CoefficientTest } from './inference.ts';
import { fitLinear, type LinearFit } from './ols.ts';
import { vcov, type VcovSpec } from './vcov.ts';
import { gather } from './gather.ts';
import type { DesignMatrix } from './design.ts';

export interface GComputationInput {
  y: ArrayLike<number>;
  treat: ArrayLike<number>;
  /** Covariates over all units (an intercept column, if any, is skipped). */
  covariates?: DesignMatrix;
  /** Rows used to fit (default: all). */
  rows?: ArrayLike<number>;
  /** Weights per unit (all units; default 1). */
  weights?: ArrayLike<number>;
  /** Weights per fitted row instead (rows may repeat a unit, as MatchIt's get_matches() rows do). */
  rowWeights?: ArrayLike<number>;
  /** Whose mean effect: all fitted rows (ATE), treated (ATT) or control (ATC). */
  target: 'ATE' | 'ATT' | 'ATC';
  interactions?: boolean;
  /**
   * Add the sampling variance of the covariate means to the SE (b' S_X b / m, b the interaction
   * coefficients, S_X the covariates' sample covariance over the m target rows): the SE of the
   * population's average effect. Without it the SE is Lin's (2013), for the average effect in this
   * sample's covariates, which is too small for the population when the effect varies. Unweighted only.
   */
  population?: boolean;
  /** Covariance; a cluster spec gives one cluster id per fitted row. */
  vcov: VcovSpec;
  level?: number;
}

export interface GComputationResult {
  test: CoefficientTest;
  fit: LinearFit;
  nRows: number;
}

export function gComputation(input: GComputationInput): GComputationResult {
  const { y, treat, covariates: cov } = input;
  const rows: ArrayLike<number> = input.rows ?? Int32Array.from({ length: y.length }, (_, i) => i);
  const m = rows.length;
  const covCols = cov ? cov.names.map((name, j) => ({ name, j })).filter((c) => c.name !== '(Intercept)') : [];
  const p = covCols.length;
  const interactions = input.interactions ?? true;
  const k = 2 + p + (interactions ? p : 0);
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
  if (interactions) {
    covCols.forEach(({ name }, c) => {
      names.push(`treat:${name}`);
      for (let r = 0; r < m; r++) X[(2 + p + c) * m + r] = treat[rows[r]] * X[(2 + c) * m + r];
    });
  }
  const w = input.rowWeights ? Float64Array.from(input.rowWeights) : input.weights ? gather(input.weights, rows) : undefined;
  const fit = fitLinear({ X, n: m, k, names, sources: names }, gather(y, rows), w);
  const ti = fit.names.indexOf('treat');
  if (ti < 0) throw new Error('the treatment was dropped from the outcome model as collinear with the confounders');
  const V = vcov(fit, input.vcov);
  const g = new Float64Array(fit.k);
  g[ti] = 1;
  if (interactions && p > 0) {
    const inTarget = (r: number) => input.target === 'ATE' || treat[rows[r]] === (input.target === 'ATT' ? 1 : 0);
    let sw = 0;
    for (let r = 0; r < m; r++) if (inTarget(r)) sw += w ? w[r] : 1;
    covCols.forEach(({ name }, c) => {
      const gi = fit.names.indexOf(`treat:${name}`);
      if (gi < 0) return;
      let s = 0;
      for (let r = 0; r < m; r++) if (inTarget(r)) s += (w ? w[r] : 1) * X[(2 + c) * m + r];
      g[gi] = s / sw;
    });
  }
  let estimate = 0;
  let variance = 0;
  for (let a = 0; a < fit.k; a++) {
    estimate += g[a] * fit.coefficients[a];
    for (let b = 0; b < fit.k; b++) variance += g[a] * V[a * fit.k + b] * g[b];
  }
  if (input.population && interactions && p > 0) {
    if (w) throw new Error('the population SE of g-computation is for unweighted fits');
    // b' S_X b / m = var(sum_j b_j x_j) / m over the m target rows (Welford's one-pass variance)
    const b = covCols.map(({ name }) => {
      const gi = fit.names.indexOf(`treat:${name}`);
      return gi < 0 ? 0 : fit.coefficients[gi];
    });
    let count = 0;
    let mean = 0;
    let m2 = 0;
    for (let r = 0; r < m; r++) {
      if (input.target !== 'ATE' && treat[rows[r]] !== (input.target === 'ATT' ? 1 : 0)) continue;
      let v = 0;
      for (let c = 0; c < p; c++) v += b[c] * X[(2 + c) * m + r];
      count++;
      const d = v - mean;
      mean += d / count;
      m2 += d * (v - mean);
    }
    variance += m2 / (count - 1) / count;
  }
  return { test: coefficientTest(estimate, Math.sqrt(variance), fit.dfResidual, input.level ?? 0.95), fit, nRows: m };
}
