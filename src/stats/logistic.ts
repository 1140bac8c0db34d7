/**
 * Logistic regression by iteratively reweighted least squares, as R's glm.fit (binomial, logit):
 * start mu = (y + 0.5) / 2; each step regresses z = eta + (y - mu) / mu' on X with weights mu(1 - mu);
 * stop when |dev - dev_old| / (|dev| + 0.1) < epsilon (1e-8), at most 25 steps; the inverse link is
 * clamped at |eta| > 30 as R's C code does. R's summary.glm takes SEs from the last step's weighted
 * least squares, whose weights come from the previous iterate; both those SEs (`se`, as R prints) and
 * the SEs at the final coefficients (`seAtFinal`) are returned.
 * References: McCullagh & Nelder, Generalized Linear Models (2nd ed.), 2.5; R's src/library/stats/R/glm.R.
 */
import { choleskyDropping, choleskyInverse, choleskySolve, crossprod, rmsScales, scaledCrossprod } from './linalg.ts';
import { type CrossprodKernel, withCrossprodKernel } from './simd.ts';
import type { DesignMatrix } from './design.ts';
import { twoSidedNormal } from './distributions.ts';
import { InsufficientDataError } from './ols.ts';

export interface LogisticOptions {
  epsilon?: number;
  maxIterations?: number;
  /** Also compute the SEs at the final coefficients (one more pass; R reports the lagged ones). */
  seAtFinal?: boolean;
}

export interface LogisticFit {
  names: string[];
  coefficients: Float64Array;
  se: Float64Array;
  /** SEs at the final coefficients, when asked for (`seAtFinal: true`). */
  seAtFinal: Float64Array | null;
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

/** eta = X beta, mu = linkinv(eta), and the binomial deviance, in blocks of rows (one pass over X). */
function linearPredictorAndDeviance(X: Float64Array, n: number, k: number, beta: Float64Array, y: Float64Array, eta: Float64Array, mu: Float64Array): number {
  const B = 512;
  let dev = 0;
  for (let start = 0; start < n; start += B) {
    const end = Math.min(n, start + B);
    for (let i = start; i < end; i++) eta[i] = 0;
    for (let j = 0; j < k; j++) {
      const b = beta[j];
      const off = j * n;
      for (let i = start; i < end; i++) eta[i] += b * X[off + i];
    }
    for (let i = start; i < end; i++) {
      const m = logitInverse(eta[i]);
      mu[i] = m;
      const yi = y[i];
      dev += yi === 1 ? -2 * Math.log(m) : yi === 0 ? -2 * Math.log(1 - m) : 2 * (yi * Math.log(yi / m) + (1 - yi) * Math.log((1 - yi) / (1 - m)));
    }
  }
  return dev;
}

/** A unit's binomial deviance term. */
function devianceTerm(y: number, mu: number): number {
  return y === 1 ? -2 * Math.log(mu) : y === 0 ? -2 * Math.log(1 - mu) : 2 * (y * Math.log(y / mu) + (1 - y) * Math.log((1 - y) / (1 - mu)));
}

/** The binomial deviance of a constant mu (the start, the null model): two logs for 0/1 outcomes. */
function constantMuDeviance(y: Float64Array, mu: number): number {
  const one = devianceTerm(1, mu);
  const zero = devianceTerm(0, mu);
  let d = 0;
  for (let i = 0; i < y.length; i++) d += y[i] === 1 ? one : y[i] === 0 ? zero : devianceTerm(y[i], mu);
  return d;
}

export function fitLogistic(design: DesignMatrix, y: Float64Array, options: LogisticOptions = {}): LogisticFit {
  // the design is copied into WebAssembly memory once and its X'WX taken there at every step
  return withCrossprodKernel(design.X, design.n, design.k, (kernel) => fitLogisticWith(design, y, options, kernel));
}

function fitLogisticWith(design: DesignMatrix, y: Float64Array, options: LogisticOptions, kernel: CrossprodKernel | null): LogisticFit {
  const epsilon = options.epsilon ?? 1e-8;
  const maxIterations = options.maxIterations ?? 25;
  const { n } = design;
  for (let i = 0; i < n; i++) if (!(y[i] >= 0 && y[i] <= 1)) throw new Error(`logistic outcome must lie in [0, 1]; row ${i + 1} has ${y[i]}`);
  // The first step's weights are all 3/16 for 0/1 outcomes (mu = 0.25 or 0.75), so its X'WX is
  // (3/16) X'X: one pass over the full design gives the collinearity check, the column scales and the
  // first step's X'WX and X'Wz. A 0/1 outcome's start values are computed once, not per unit.
  const mu = new Float64Array(n);
  const eta = new Float64Array(n);
  const w = new Float64Array(n);
  const z = new Float64Array(n);
  const startFor = (yi: number) => {
    const m = (yi + 0.5) / 2;
    const e = Math.log(m / (1 - m));
    const me = m * (1 - m);
    return { mu: m, eta: e, z: e + (yi - m) / me, w: me, deviance: devianceTerm(yi, m) };
  };
  const startOne = startFor(1);
  const startZero = startFor(0);
  let devOld = 0;
  for (let i = 0; i < n; i++) {
    const start = y[i] === 1 ? startOne : y[i] === 0 ? startZero : startFor(y[i]);
    mu[i] = start.mu;
    eta[i] = start.eta;
    z[i] = start.z;
    w[i] = start.w;
    devOld += start.deviance;
  }
  const xtzAll = new Float64Array(design.k);
  const firstAll = kernel ? kernel.crossprod(w, z, xtzAll) : crossprod(design.X, n, design.k, w, z, xtzAll);
  // each column's root mean square under the first weights (any positive scales condition the solves)
  let weightSum = 0;
  for (let i = 0; i < n; i++) weightSum += w[i];
  const scalesAll = rmsScales(firstAll, design.k, weightSum);
  const scaledFirst = Float64Array.from(firstAll, (v, idx) => v / (scalesAll[Math.floor(idx / design.k)] * scalesAll[idx % design.k]));
  const probe = choleskyDropping(scaledFirst, design.k);
  const kept = probe.kept;
  const k = kept.length;
  const warnings: string[] = [];
  const dropped = probe.dropped.map((j) => design.names[j]);
  if (dropped.length > 0) warnings.push(`collinear: ${dropped.join(', ')} dropped from the propensity model`);
  if (n <= k) throw new InsufficientDataError(`${n} rows are not more than the ${k} coefficients of the propensity model`);
  const X = kept.length === design.k ? design.X : new Float64Array(n * k);
  if (X !== design.X) kept.forEach((j, c) => X.set(design.X.subarray(j * n, (j + 1) * n), c * n));
  const scales = Float64Array.from(kept, (j) => scalesAll[j]);
  // X'WX and X'Wz over the kept columns: from the kernel's full design, keeping their rows and columns
  const weightedCrossprod = (): Float64Array => {
    if (!kernel) return crossprod(X, n, k, w, z, xtz);
    const full = kernel.crossprod(w, z, xtzAll);
    if (X === design.X) {
      xtz.set(xtzAll);
      return full;
    }
    kept.forEach((j, a) => (xtz[a] = xtzAll[j]));
    return Float64Array.from({ length: k * k }, (_, idx) => full[kept[Math.floor(idx / k)] * design.k + kept[idx % k]]);
  };

  const xtz = new Float64Array(k);
  let coefficients = new Float64Array(k);
  let lastL: Float64Array = new Float64Array(0);
  let converged = false;
  let iterations = 0;
  let dev = devOld;
  const scaleMatrix = (A: Float64Array) => {
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) A[a * k + b] /= scales[a] * scales[b];
    return A;
  };
  for (let iter = 1; iter <= maxIterations; iter++) {
    iterations = iter;
    let A: Float64Array;
    if (iter === 1) {
      A = new Float64Array(k * k);
      kept.forEach((ja, a) => kept.forEach((jb, b) => (A[a * k + b] = scaledFirst[ja * design.k + jb])));
      kept.forEach((j, a) => (xtz[a] = xtzAll[j]));
    } else {
      for (let i = 0; i < n; i++) {
        // mu' = e^eta / (1 + e^eta)^2 = mu (1 - mu), except at R's clamps
        const m = mu[i];
        const me = eta[i] > THRESH || eta[i] < -THRESH ? EPS : m * (1 - m);
        z[i] = eta[i] + (y[i] - m) / me;
        w[i] = (me * me) / (m * (1 - m));
      }
      // one pass: X'WX and X'Wz
      A = scaleMatrix(weightedCrossprod());
    }
    const chol = choleskyDropping(A, k, 1e-14);
    if (chol.dropped.length > 0) {
      warnings.push('the weighted design became singular during fitting (fitted probabilities near 0 or 1: separation)');
      break;
    }
    const gamma = choleskySolve(chol.L, k, Float64Array.from(xtz, (v, j) => v / scales[j]));
    let step = Float64Array.from(gamma, (g, j) => g / scales[j]);
    // eta = X beta, mu = linkinv(eta) and the deviance in one pass; halve the step if the deviance is not finite (as glm.fit)
    for (let halving = 0; ; halving++) {
      dev = linearPredictorAndDeviance(X, n, k, step, y, eta, mu);
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
  let seAtFinal: Float64Array | null = null;
  if (options.seAtFinal) {
    for (let i = 0; i < n; i++) {
      const me = muEta(eta[i]);
      w[i] = (me * me) / (mu[i] * (1 - mu[i]));
    }
    const finalChol = choleskyDropping(scaledCrossprod(X, n, k, scales, w), k, 1e-14);
    seAtFinal = finalChol.dropped.length ? new Float64Array(k).fill(NaN) : unscale(finalChol.L);
  }
  const zStat = Float64Array.from(coefficients, (b, j) => b / se[j]);
  let ybar = 0;
  for (let i = 0; i < n; i++) ybar += y[i];
  ybar /= n;
  // mu has not changed since the last step computed its deviance
  const deviance = iterations > 0 ? dev : devOld;
  return {
    names: kept.map((j) => design.names[j]),
    coefficients,
    se,
    seAtFinal,
    z: zStat,
    p: zStat.map((v) => twoSidedNormal(v)),
    logLik: -deviance / 2,
    deviance,
    nullDeviance: constantMuDeviance(y, ybar),
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
