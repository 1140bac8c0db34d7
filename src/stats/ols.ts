/**
 * Ordinary and weighted least squares, as R's lm: coefficients from the normal equations of the
 * RMS-scaled design (see linalg.ts), residuals y - Xb, residual df n - k, sigma^2 = sum w e^2 / (n - k).
 * Columns that are linear combinations of earlier ones are dropped with a warning (R reports NA for
 * them). Rows with zero weight are not allowed: drop them first (R's lm drops them from df too).
 */
import { UserError } from '../util/errors.ts';
import { choleskyDropping, choleskyInverse, choleskySolve, crossprod, rmsScales } from './linalg.ts';
import type { DesignMatrix } from './design.ts';

export interface LinearFit {
  names: string[];
  coefficients: Float64Array;
  n: number;
  k: number;
  dfResidual: number;
  /** Kept design columns, column-major n x k. */
  X: Float64Array;
  y: Float64Array;
  weights: Float64Array | undefined;
  residuals: Float64Array;
  fitted: Float64Array;
  /** (X'WX)^-1 in the data's units, row-major k x k. */
  bread: Float64Array;
  /** sum w e^2. */
  rss: number;
  sigma: number;
  dropped: string[];
  warnings: string[];
}

export class InsufficientDataError extends UserError {
  constructor(message: string) {
    super(message, { hint: 'use fewer confounders or more data' });
    this.name = 'InsufficientDataError';
  }
}

export function fitLinear(design: DesignMatrix, y: Float64Array, weights?: Float64Array): LinearFit {
  const { n } = design;
  if (y.length !== n) throw new Error('y and X differ in length');
  if (weights) {
    for (let i = 0; i < n; i++) if (!(weights[i] > 0)) throw new UserError(`weight ${weights[i]} at row ${i + 1}: weights must be positive (drop zero-weight rows first)`);
  }
  // one pass gives X'WX and X'Wy; each column is scaled by its (weighted) root mean square
  const xty = new Float64Array(design.k);
  const raw = crossprod(design.X, n, design.k, weights, y, xty);
  let weightSum = n;
  if (weights) {
    weightSum = 0;
    for (let i = 0; i < n; i++) weightSum += weights[i];
  }
  const scales = rmsScales(raw, design.k, weightSum);
  const A = raw.map((v, idx) => v / (scales[Math.floor(idx / design.k)] * scales[idx % design.k]));
  const chol = choleskyDropping(A, design.k);
  const warnings: string[] = [];
  const dropped = chol.dropped.map((j) => design.names[j]);
  if (dropped.length > 0) warnings.push(`collinear: ${dropped.join(', ')} ${dropped.length === 1 ? 'is a linear combination' : 'are linear combinations'} of other columns and ${dropped.length === 1 ? 'was' : 'were'} dropped`);
  const kept = chol.kept;
  const k = kept.length;
  if (n <= k) throw new InsufficientDataError(`${n} rows are not more than the ${k} coefficients to estimate`);
  const X = kept.length === design.k ? design.X : new Float64Array(n * k);
  if (X !== design.X) kept.forEach((j, c) => X.set(design.X.subarray(j * n, (j + 1) * n), c * n));
  const keptScales = Float64Array.from(kept, (j) => scales[j]);
  const zty = Float64Array.from(kept, (j) => xty[j] / scales[j]);
  const gamma = choleskySolve(chol.L, k, zty);
  const coefficients = Float64Array.from(gamma, (g, j) => g / keptScales[j]);
  // fitted values, residuals and the sums below in one pass, in blocks of rows that stay in cache
  const fitted = new Float64Array(n);
  const residuals = new Float64Array(n);
  let rss = 0;
  let swy = 0;
  const B = 512;
  for (let start = 0; start < n; start += B) {
    const end = Math.min(n, start + B);
    for (let j = 0; j < k; j++) {
      const b = coefficients[j];
      const off = j * n;
      for (let i = start; i < end; i++) fitted[i] += b * X[off + i];
    }
    for (let i = start; i < end; i++) {
      const e = y[i] - fitted[i];
      residuals[i] = e;
      const wi = weights ? weights[i] : 1;
      rss += wi * e * e;
      swy += wi * y[i];
    }
  }
  const inv = choleskyInverse(chol.L, k);
  const bread = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) bread[a * k + b] = inv[a * k + b] / (keptScales[a] * keptScales[b]);
  const dfResidual = n - k;
  const ybar = swy / weightSum;
  let tss = 0;
  for (let i = 0; i < n; i++) {
    const d = y[i] - ybar;
    tss += (weights ? weights[i] : 1) * d * d;
  }
  if (tss === 0) warnings.push('constant outcome: every value of y is the same, so there is no effect to estimate and tests are undefined');
  else if (rss <= 1e-20 * tss) warnings.push('perfect fit: the residuals are zero to rounding, so standard errors are zero and tests are undefined');
  return {
    names: kept.map((j) => design.names[j]),
    coefficients, n, k, dfResidual, X, y, weights, residuals, fitted, bread, rss,
    sigma: Math.sqrt(rss / dfResidual), dropped, warnings,
  };
}

export function coefficientIndex(fit: LinearFit, name: string): number {
  const j = fit.names.indexOf(name);
  if (j < 0) throw new UserError(`no coefficient '${name}' in the model (${fit.names.join(', ')})${fit.dropped.includes(name) ? `: it was dropped as collinear` : ''}`);
  return j;
}
