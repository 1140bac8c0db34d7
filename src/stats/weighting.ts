/**
 * Inverse probability weighting and augmented IPW (doubly robust).
 *
 * IPW (Hernán & Robins, Causal Inference: What If, ch. 12; Imbens 2004, Rev Econ Stat 86(1)):
 * - ATE, Hajek: weighted means with 1/e (treated) and 1/(1 - e) (control), each normalised within arm;
 *   Horvitz-Thompson: mean(T y / e) - mean((1 - T) y / (1 - e)) with n in both denominators;
 * - ATT, Hajek: treated weight 1, control weight e / (1 - e) normalised; Horvitz-Thompson:
 *   mean(y | T = 1) - sum_C [e / (1 - e)] y / n_T;
 * - stabilised weights multiply by P(T = t); trimming (Crump, Hotz, Imbens & Mitnik 2009, Biometrika
 *   96(1)) drops units with e outside [a, 1 - a], which changes the population the estimate refers to;
 * - SE, Hajek: the weighted regression y ~ T with an HC1 sandwich (survey / WeightIt practice; ignoring
 *   the estimation of e, which makes it conservative for the ATE). Horvitz-Thompson: its own, from the
 *   influence function with e taken as known (Lunceford & Davidian 2004, Stat Med 23(19)): ATE,
 *   a_i = T y / e - (1 - T) y / (1 - e), SE = sd(a) / sqrt(n); ATT, a ratio with a_i = T y - (1 - T)
 *   y e / (1 - e) over n_T, SE = sqrt(n / (n - 1) sum (a_i - tau T_i)^2) / n_T; t interval, n - 1 df.
 *   Stabilised weights do not change the Hajek estimate, and bias the Horvitz-Thompson one: refused.
 * AIPW (Robins, Rotnitzky & Zhao 1994; Glynn & Quinn 2010, Polit Anal 18(1)): outcome models fitted
 * by OLS in each arm give mu1, mu0 for every unit; phi_i = mu1 - mu0 + T (y - mu1) / e
 * - (1 - T)(y - mu0) / (1 - e); ATE = mean(phi), SE = sd(phi) / sqrt(n) (influence function).
 */
import { UsageError, UserError } from '../util/errors.ts';
import { coefficientTest, type CoefficientTest } from './inference.ts';
import { fitLinear } from './ols.ts';
import { standardErrors, vcov } from './vcov.ts';
import type { DesignMatrix } from './design.ts';
import { normalQuantile, twoSidedNormal } from './distributions.ts';

export class NoOverlapError extends UserError {
  constructor(message: string) {
    super(message, { hint: 'treated and control units do not overlap in their propensity scores: trim, match with a caliper, or drop the confounder that separates them' });
    this.name = 'NoOverlapError';
  }
}

export interface IpwOptions {
  estimand?: 'ATE' | 'ATT';
  normalise?: boolean;
  stabilise?: boolean;
  /** Drop units with propensity outside [trim, 1 - trim]. */
  trim?: number;
  level?: number;
}

export interface IpwResult {
  estimand: 'ATE' | 'ATT';
  estimator: 'hajek' | 'horvitz-thompson';
  estimate: number;
  test: CoefficientTest;
  weights: Float64Array;
  weightSums: { treated: number; control: number };
  ess: { treated: number; control: number };
  nUsed: number;
  trimmed: number;
  warnings: string[];
}

function checkScores(ps: ArrayLike<number>, treat: ArrayLike<number>, keep: Uint8Array): void {
  for (let i = 0; i < ps.length; i++) {
    if (!keep[i]) continue;
    if (!(ps[i] > 0 && ps[i] < 1)) throw new NoOverlapError(`propensity score ${ps[i]} at row ${i + 1}: scores of exactly 0 or 1 give infinite weights`);
    if (treat[i] !== 0 && treat[i] !== 1) throw new UserError(`treatment must be 0 or 1; row ${i + 1} has ${treat[i]}`);
  }
}

export function ipwWeights(ps: ArrayLike<number>, treat: ArrayLike<number>, estimand: 'ATE' | 'ATT', stabilise = false): Float64Array {
  const n = ps.length;
  let pt = 0;
  for (let i = 0; i < n; i++) pt += treat[i];
  pt /= n;
  return Float64Array.from({ length: n }, (_, i) => {
    if (estimand === 'ATT') return treat[i] === 1 ? 1 : ps[i] / (1 - ps[i]);
    return treat[i] === 1 ? (stabilise ? pt : 1) / ps[i] : (stabilise ? 1 - pt : 1) / (1 - ps[i]);
  });
}

export function ipw(y: ArrayLike<number>, treat: ArrayLike<number>, ps: ArrayLike<number>, options: IpwOptions = {}): IpwResult {
  const n = y.length;
  const estimand = options.estimand ?? 'ATE';
  const normalise = options.normalise ?? true;
  const keep = new Uint8Array(n).fill(1);
  let trimmed = 0;
  const warnings: string[] = [];
  if (options.trim !== undefined) {
    if (!(options.trim > 0 && options.trim < 0.5)) throw new UsageError(`--trim must lie in (0, 0.5), got ${options.trim}`, 'e.g. --trim 0.05, or --trim crump for the optimal threshold');
    for (let i = 0; i < n; i++) if (ps[i] < options.trim || ps[i] > 1 - options.trim) { keep[i] = 0; trimmed++; }
    if (trimmed > 0) warnings.push(`${trimmed} units with propensity outside [${options.trim}, ${1 - options.trim}] were trimmed: the estimate refers to the remaining population`);
  }
  if (!normalise && options.stabilise) throw new UsageError('stabilised weights bias the Horvitz-Thompson estimator (their factors cancel only when the weights are normalised)', 'drop --stabilise, or use the Hajek estimator (the default)');
  checkScores(ps, treat, keep);
  const rows: number[] = [];
  keep.forEach((k, i) => k && rows.push(i));
  const yy = Float64Array.from(rows, (i) => y[i]);
  const tt = Float64Array.from(rows, (i) => treat[i]);
  const ee = Float64Array.from(rows, (i) => ps[i]);
  const m = rows.length;
  const nt = tt.reduce((s, v) => s + v, 0);
  if (nt === 0 || nt === m) throw new UserError(`no ${nt === 0 ? 'treated' : 'control'} units${trimmed ? ' after trimming' : ''}`);
  const w = ipwWeights(ee, tt, estimand, options.stabilise);
  let s1 = 0, s0 = 0, sw1 = 0, sw0 = 0, sq1 = 0, sq0 = 0;
  for (let i = 0; i < m; i++) {
    if (tt[i] === 1) { s1 += w[i] * yy[i]; sw1 += w[i]; sq1 += w[i] * w[i]; }
    else { s0 += w[i] * yy[i]; sw0 += w[i]; sq0 += w[i] * w[i]; }
  }
  let estimate: number;
  if (normalise) estimate = s1 / sw1 - s0 / sw0;
  else if (estimand === 'ATE') estimate = s1 / m - s0 / m;
  else estimate = s1 / nt - s0 / nt;
  const ess = { treated: (sw1 * sw1) / sq1, control: (sw0 * sw0) / sq0 };
  for (const [arm, value, size] of [['treated', ess.treated, nt], ['control', ess.control, m - nt]] as const) {
    if (value < 0.1 * size) warnings.push(`poor overlap: the ${arm} weights' effective sample size is ${value.toFixed(1)} of ${size} units (a few units dominate)`);
  }
  // SE from the weighted regression y ~ T with an HC1 sandwich
  const X = new Float64Array(2 * m);
  X.fill(1, 0, m);
  X.set(tt, m);
  const fit = fitLinear({ X, n: m, k: 2, names: ['(Intercept)', 'treat'], sources: [null, 'treat'] }, yy, w);
  const se = normalise ? standardErrors(vcov(fit, { type: 'HC1' }), 2)[1] : horvitzThompsonSe(yy, tt, w, estimand, estimate, nt);
  warnings.push(...fit.warnings);
  const weights = new Float64Array(n);
  rows.forEach((i, r) => (weights[i] = w[r]));
  return {
    estimand,
    estimator: normalise ? 'hajek' : 'horvitz-thompson',
    estimate,
    test: coefficientTest(estimate, se, normalise ? fit.dfResidual : m - 1, options.level ?? 0.95),
    weights,
    weightSums: { treated: sw1, control: sw0 },
    ess,
    nUsed: m,
    trimmed,
    warnings,
  };
}

/** The Horvitz-Thompson estimator's own SE (see the header), e taken as known. */
function horvitzThompsonSe(y: Float64Array, t: Float64Array, w: Float64Array, estimand: 'ATE' | 'ATT', tau: number, nt: number): number {
  const m = y.length;
  let ss = 0;
  for (let i = 0; i < m; i++) {
    const a = t[i] === 1 ? w[i] * y[i] : -w[i] * y[i];
    const psi = estimand === 'ATE' ? a - tau : a - tau * t[i];
    ss += psi * psi;
  }
  return estimand === 'ATE' ? Math.sqrt(ss / (m - 1) / m) : Math.sqrt((ss * m) / (m - 1)) / nt;
}

export interface AipwResult {
  estimand: 'ATE';
  estimate: number;
  se: number;
  seN: number;
  ci: [number, number];
  p: number;
  mu1: Float64Array;
  mu0: Float64Array;
  outcomeModels: { treated: { names: string[]; coefficients: Float64Array }; control: { names: string[]; coefficients: Float64Array } };
  influence: Float64Array;
  warnings: string[];
}

/** Rows of a design matrix as a new design. */
function subsetDesign(design: DesignMatrix, rows: number[]): DesignMatrix {
  const m = rows.length;
  const X = new Float64Array(m * design.k);
  for (let j = 0; j < design.k; j++) for (let r = 0; r < m; r++) X[j * m + r] = design.X[j * design.n + rows[r]];
  return { ...design, X, n: m };
}

function predict(design: DesignMatrix, names: string[], coefficients: Float64Array): Float64Array {
  const out = new Float64Array(design.n);
  names.forEach((name, c) => {
    const j = design.names.indexOf(name);
    for (let i = 0; i < design.n; i++) out[i] += coefficients[c] * design.X[j * design.n + i];
  });
  return out;
}

/**
 * AIPW ATE with outcome models y ~ covariates fitted by OLS in each arm (the design includes its
 * intercept). `rows`: estimate on these units only (a trimmed population), outcome models included.
 */
export function aipw(yAll: Float64Array, treatAll: ArrayLike<number>, psAll: ArrayLike<number>, covariatesAll: DesignMatrix, level = 0.95, rows?: readonly number[]): AipwResult {
  const y = rows ? Float64Array.from(rows, (i) => yAll[i]) : yAll;
  const treat = rows ? Float64Array.from(rows, (i) => treatAll[i]) : treatAll;
  const ps = rows ? Float64Array.from(rows, (i) => psAll[i]) : psAll;
  const covariates = rows ? subsetDesign(covariatesAll, [...rows]) : covariatesAll;
  const n = y.length;
  const keep = new Uint8Array(n).fill(1);
  checkScores(ps, treat, keep);
  const treatedRows: number[] = [];
  const controlRows: number[] = [];
  for (let i = 0; i < n; i++) (treat[i] === 1 ? treatedRows : controlRows).push(i);
  const fit1 = fitLinear(subsetDesign(covariates, treatedRows), Float64Array.from(treatedRows, (i) => y[i]));
  const fit0 = fitLinear(subsetDesign(covariates, controlRows), Float64Array.from(controlRows, (i) => y[i]));
  const mu1 = predict(covariates, fit1.names, fit1.coefficients);
  const mu0 = predict(covariates, fit0.names, fit0.coefficients);
  const phi = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    phi[i] = mu1[i] - mu0[i] + (treat[i] * (y[i] - mu1[i])) / ps[i] - ((1 - treat[i]) * (y[i] - mu0[i])) / (1 - ps[i]);
    sum += phi[i];
  }
  const estimate = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (phi[i] - estimate) ** 2;
  const se = Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
  const seN = Math.sqrt(ss / n) / Math.sqrt(n);
  const q = normalQuantile(1 - (1 - level) / 2);
  const warnings = [...fit1.warnings.map((w) => `treated outcome model: ${w}`), ...fit0.warnings.map((w) => `control outcome model: ${w}`)];
  let maxWeight = 0;
  for (let i = 0; i < n; i++) maxWeight = Math.max(maxWeight, treat[i] === 1 ? 1 / ps[i] : 1 / (1 - ps[i]));
  if (maxWeight > 0.1 * n) warnings.push(`poor overlap: one unit has inverse-probability weight ${maxWeight.toFixed(1)} (n = ${n})`);
  return {
    estimand: 'ATE',
    estimate,
    se,
    seN,
    ci: [estimate - q * se, estimate + q * se],
    p: twoSidedNormal(estimate / se),
    mu1,
    mu0,
    outcomeModels: { treated: { names: fit1.names, coefficients: fit1.coefficients }, control: { names: fit0.names, coefficients: fit0.coefficients } },
    influence: phi,
    warnings,
  };
}
