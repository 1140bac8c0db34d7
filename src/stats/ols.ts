/**
 * Ordinary and weighted least squares, as R's lm: coefficients from the normal equations of the
 * RMS-scaled design (see linalg.ts), residuals y - Xb, residual df n - k, sigma^2 = sum w e^2 / (n - k).
 * Columns that are linear combinations of earlier ones are dropped with a warning (R reports NA for
 * them). Rows with zero weight are not allowed: drop them first (R's lm drops them from df too).
 */
import { UserError } from '../util/errors.ts';
import { choleskyDropping, choleskyInverse, choleskySolve, columnScales, scaledCrossprod, scaledCrossprodVector } from './linalg.ts';
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
  const scales = columnScales(design.X, n, design.k, weights);
  const A = scaledCrossprod(design.X, n, design.k, scales, weights);
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
  const zty = scaledCrossprodVector(X, n, k, keptScales, y, weights);
  const gamma = choleskySolve(chol.L, k, zty);
  const coefficients = Float64Array.from(gamma, (g, j) => g / keptScales[j]);
  const fitted = new Float64Array(n);
  for (let j = 0; j < k; j++) {
    const b = coefficients[j];
    const off = j * n;
    for (let i = 0; i < n; i++) fitted[i] += b * X[off + i];
  }
  const residuals = new Float64Array(n);
  let rss = 0;
  for (let i = 0; i < n; i++) {
    const e = y[i] - fitted[i];
    residuals[i] = e;
    rss += (weights ? weights[i] : 1) * e * e;
  }
  const inv = choleskyInverse(chol.L, k);
  const bread = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) bread[a * k + b] = inv[a * k + b] / (keptScales[a] * keptScales[b]);
  const dfResidual = n - k;
  let sw = 0;
  let swy = 0;
  for (let i = 0; i < n; i++) {
    sw += weights ? weights[i] : 1;
    swy += (weights ? weights[i] : 1) * y[i];
  }
  let tss = 0;
  for (let i = 0; i < n; i++) tss += (weights ? weights[i] : 1) * (y[i] - swy / sw) ** 2;
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
