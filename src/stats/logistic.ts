/**
 * Logistic regression by iteratively reweighted least squares, as R's glm.fit (binomial, logit):
 * start mu = (y + 0.5) / 2; each step regresses z = eta + (y - mu) / mu' on X with weights mu(1 - mu);
 * stop when |dev - dev_old| / (|dev| + 0.1) < epsilon (1e-8), at most 25 steps; the inverse link is
 * clamped at |eta| > 30 as R's C code does. R's summary.glm takes SEs from the last step's weighted
 * least squares, whose weights come from the previous iterate; both those SEs (`se`, as R prints) and
 * the SEs at the final coefficients (`seAtFinal`) are returned.
 * References: McCullagh & Nelder, Generalized Linear Models (2nd ed.), 2.5; R's src/library/stats/R/glm.R.
 */
import { choleskyDropping, choleskyInverse, choleskySolve, columnScales, scaledCrossprod, scaledCrossprodVector } from './linalg.ts';
import type { DesignMatrix } from './design.ts';
import { twoSidedNormal } from './distributions.ts';
import { InsufficientDataError } from './ols.ts';

export interface LogisticOptions {
  epsilon?: number;
  maxIterations?: number;
}

export interface LogisticFit {
  names: string[];
  coefficients: Float64Array;
  se: Float64Array;
  seAtFinal: Float64Array;
  z: Float64Array;
  p: Float64Array;
  logLik: number;
  deviance: number;
  nullDeviance: number;
  aic: number;
  dfResidual: number;
  iterations: number;
  converged: boolean;
  /** Fitted probabilities. */
  fitted: Float64Array;
  linearPredictor: Float64Array;
  dropped: string[];
  warnings: string[];
}

const EPS = 2.220446049250313e-16;
const THRESH = 30;
const INVEPS = 1 / EPS;

/** R's logit_linkinv. */
export function logitInverse(eta: number): number {
  const t = eta < -THRESH ? EPS : eta > THRESH ? INVEPS : Math.exp(eta);
  return t / (1 + t);
}

/** R's logit_mu_eta. */
function muEta(eta: number): number {
  const opexp = 1 + Math.exp(eta);
  return eta > THRESH || eta < -THRESH ? EPS : Math.exp(eta) / (opexp * opexp);
}

function binomialDeviance(y: Float64Array, mu: Float64Array): number {
  let d = 0;
  for (let i = 0; i < y.length; i++) d += y[i] === 1 ? -2 * Math.log(mu[i]) : y[i] === 0 ? -2 * Math.log(1 - mu[i]) : 2 * (y[i] * Math.log(y[i] / mu[i]) + (1 - y[i]) * Math.log((1 - y[i]) / (1 - mu[i])));
  return d;
}

export function fitLogistic(design: DesignMatrix, y: Float64Array, options: LogisticOptions = {}): LogisticFit {
  const epsilon = options.epsilon ?? 1e-8;
  const maxIterations = options.maxIterations ?? 25;
  const { n } = design;
  for (let i = 0; i < n; i++) if (!(y[i] >= 0 && y[i] <= 1)) throw new Error(`logistic outcome must lie in [0, 1]; row ${i + 1} has ${y[i]}`);
  const scalesAll = columnScales(design.X, n, design.k);
  // find collinear columns once, from the unweighted cross-product
  const probe = choleskyDropping(scaledCrossprod(design.X, n, design.k, scalesAll), design.k);
  const kept = probe.kept;
  const k = kept.length;
  const warnings: string[] = [];
  const dropped = probe.dropped.map((j) => design.names[j]);
  if (dropped.length > 0) warnings.push(`collinear: ${dropped.join(', ')} dropped from the propensity model`);
  if (n <= k) throw new InsufficientDataError(`${n} rows are not more than the ${k} coefficients of the propensity model`);
  const X = new Float64Array(n * k);
  kept.forEach((j, c) => X.set(design.X.subarray(j * n, (j + 1) * n), c * n));
  const scales = Float64Array.from(kept, (j) => scalesAll[j]);

  const mu = new Float64Array(n);
  const eta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    mu[i] = (y[i] + 0.5) / 2;
    eta[i] = Math.log(mu[i] / (1 - mu[i]));
  }
  let devOld = binomialDeviance(y, mu);
  const w = new Float64Array(n);
  const z = new Float64Array(n);
  let coefficients = new Float64Array(k);
  let lastL: Float64Array = new Float64Array(0);
  let converged = false;
  let iterations = 0;
  let dev = devOld;
  for (let iter = 1; iter <= maxIterations; iter++) {
    iterations = iter;
    for (let i = 0; i < n; i++) {
      const me = muEta(eta[i]);
      const variance = mu[i] * (1 - mu[i]);
      z[i] = eta[i] + (y[i] - mu[i]) / me;
      w[i] = (me * me) / variance;
    }
    const chol = choleskyDropping(scaledCrossprod(X, n, k, scales, w), k, 1e-14);
    if (chol.dropped.length > 0) {
      warnings.push('the weighted design became singular during fitting (fitted probabilities near 0 or 1: separation)');
      break;
    }
    const gamma = choleskySolve(chol.L, k, scaledCrossprodVector(X, n, k, scales, z, w));
    const next = Float64Array.from(gamma, (g, j) => g / scales[j]);
    // eta = X beta, mu = linkinv(eta), with step halving if the deviance is not finite (as glm.fit)
    let step = next;
    for (let halving = 0; ; halving++) {
      eta.fill(0);
      for (let j = 0; j < k; j++) {
        const b = step[j];
        const off = j * n;
        for (let i = 0; i < n; i++) eta[i] += b * X[off + i];
      }
      for (let i = 0; i < n; i++) mu[i] = logitInverse(eta[i]);
      dev = binomialDeviance(y, mu);
      if (Number.isFinite(dev) || halving >= 30) break;
      step = Float64Array.from(step, (b, j) => (b + coefficients[j]) / 2);
    }
    coefficients = step;
    lastL = chol.L;
    if (Math.abs(dev - devOld) / (Math.abs(dev) + 0.1) < epsilon) {
      converged = true;
      break;
    }
    devOld = dev;
  }
  if (!converged) warnings.push(`the propensity model did not converge in ${iterations} iterations`);
  let extreme = 0;
  for (let i = 0; i < n; i++) if (mu[i] > 1 - 10 * EPS || mu[i] < 10 * EPS) extreme++;
  if (extreme > 0) warnings.push(`fitted probabilities numerically 0 or 1 occurred for ${extreme} units (separation: some confounder values predict treatment perfectly)`);

  const unscale = (Lf: Float64Array) => {
    const inv = choleskyInverse(Lf, k);
    return Float64Array.from({ length: k }, (_, j) => Math.sqrt(inv[j * k + j]) / scales[j]);
  };
  const se = lastL.length ? unscale(lastL) : new Float64Array(k).fill(NaN);
  for (let i = 0; i < n; i++) {
    const me = muEta(eta[i]);
    w[i] = (me * me) / (mu[i] * (1 - mu[i]));
  }
  const finalChol = choleskyDropping(scaledCrossprod(X, n, k, scales, w), k, 1e-14);
  const seAtFinal = finalChol.dropped.length ? new Float64Array(k).fill(NaN) : unscale(finalChol.L);
  const zStat = Float64Array.from(coefficients, (b, j) => b / se[j]);
  let ybar = 0;
  for (let i = 0; i < n; i++) ybar += y[i];
  ybar /= n;
  const nullMu = new Float64Array(n).fill(ybar);
  const deviance = binomialDeviance(y, mu);
  return {
    names: kept.map((j) => design.names[j]),
    coefficients,
    se,
    seAtFinal,
    z: zStat,
    p: zStat.map((v) => twoSidedNormal(v)),
    logLik: -deviance / 2,
    deviance,
    nullDeviance: binomialDeviance(y, nullMu),
    aic: deviance + 2 * k,
    dfResidual: n - k,
    iterations,
    converged,
    fitted: Float64Array.from(mu),
    linearPredictor: Float64Array.from(eta),
    dropped,
    warnings,
  };
}
