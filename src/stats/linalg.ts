/**
 * Small dense linear algebra for regression: k x k matrices (row-major Float64Array) built from tall
 * column-major designs (n x k). Least squares goes through the normal equations of the *scaled*
 * design (each column divided by its root mean square), which keeps the condition number small
 * whatever the units (x in 1e4 next to x in 1), solved by Cholesky. A column whose remaining pivot is
 * below `tolerance` times its own scale is a linear combination of earlier columns (collinearity).
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), 4.2 and 5.3.
 */
import { withCrossprodKernel } from './simd.ts';

/**
 * Each column's root mean square, sqrt(sum_i w_i x_ij^2 / sum_i w_i), from the diagonal of X'WX (1 for
 * an all-zero column): the scales that keep the normal equations well conditioned.
 */
export function rmsScales(XtWX: Float64Array, k: number, weightSum: number): Float64Array {
  return Float64Array.from({ length: k }, (_, j) => {
    const rms = Math.sqrt(XtWX[j * k + j] / weightSum);
    return rms > 0 ? rms : 1;
  });
}

/**
 * sum_i w_i x_i x_i' over the rows of a column-major design (k x k, row-major), in blocks of rows so
 * that a block of every column stays in cache while all k(k+1)/2 products are accumulated. With `v`
 * and `xtv`, also fills xtv = sum_i w_i v_i x_i in the same pass. Through the WebAssembly SIMD kernel
 * (simd.ts) where the runtime has it, else in scalar JavaScript.
 */
export function crossprod(X: Float64Array, n: number, k: number, w?: ArrayLike<number>, v?: Float64Array, xtv?: Float64Array): Float64Array {
  if (n < SIMD_MIN_ROWS) return crossprodScalar(X, n, k, w, v, xtv);
  return withCrossprodKernel(X, n, k, (kernel) => (kernel ? kernel.crossprod(w, v, xtv) : crossprodScalar(X, n, k, w, v, xtv)));
}

/** Below this many rows, copying the design into WebAssembly memory costs more than it saves. */
const SIMD_MIN_ROWS = 256;

/** `crossprod` in scalar JavaScript (the path where WebAssembly SIMD is unavailable). */
export function crossprodScalar(X: Float64Array, n: number, k: number, w?: ArrayLike<number>, v?: Float64Array, xtv?: Float64Array): Float64Array {
  const B = 256;
  const acc = new Float64Array(k * k);
  if (xtv) xtv.fill(0);
  const wx = new Float64Array(B * k);
  for (let start = 0; start < n; start += B) {
    const len = Math.min(B, n - start);
    for (let a = 0; a < k; a++) {
      const off = a * n + start;
      const dst = a * B;
      if (w) for (let i = 0; i < len; i++) wx[dst + i] = w[start + i] * X[off + i];
      else for (let i = 0; i < len; i++) wx[dst + i] = X[off + i];
    }
    for (let a = 0; a < k; a++) {
      const wa = a * B;
      let b = 0;
      // two columns of X per pass over the weighted column: one load of wx feeds two products
      for (; b + 1 <= a; b += 2) {
        const ob0 = b * n + start;
        const ob1 = ob0 + n;
        let s0 = 0, s1 = 0, t0 = 0, t1 = 0;
        let i = 0;
        for (; i + 1 < len; i += 2) {
          const u0 = wx[wa + i];
          const u1 = wx[wa + i + 1];
          s0 += u0 * X[ob0 + i];
          t0 += u0 * X[ob1 + i];
          s1 += u1 * X[ob0 + i + 1];
          t1 += u1 * X[ob1 + i + 1];
        }
        if (i < len) {
          s0 += wx[wa + i] * X[ob0 + i];
          t0 += wx[wa + i] * X[ob1 + i];
        }
        acc[a * k + b] += s0 + s1;
        acc[a * k + b + 1] += t0 + t1;
      }
      for (; b <= a; b++) acc[a * k + b] += dot(wx, wa, X, b * n + start, len);
      if (v && xtv) xtv[a] += dot(wx, wa, v, start, len);
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) acc[b * k + a] = acc[a * k + b];
  return acc;
}

/** sum_{i < len} a[ia + i] b[ib + i], with four accumulators so the additions do not wait on each other. */
function dot(a: Float64Array, ia: number, b: Float64Array, ib: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < len; i += 4) {
    s0 += a[ia + i] * b[ib + i];
    s1 += a[ia + i + 1] * b[ib + i + 1];
    s2 += a[ia + i + 2] * b[ib + i + 2];
    s3 += a[ia + i + 3] * b[ib + i + 3];
  }
  for (; i < len; i++) s0 += a[ia + i] * b[ib + i];
  return s0 + s1 + (s2 + s3);
}

/** A = Z' W Z for Z = X / scales (row-major k x k). */
export function scaledCrossprod(X: Float64Array, n: number, k: number, scales: Float64Array, w?: Float64Array): Float64Array {
  const A = crossprod(X, n, k, w);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) A[a * k + b] /= scales[a] * scales[b];
  return A;
}

export interface CholeskyResult {
  /** Lower-triangular factor (row-major k x k) of the kept columns' submatrix. */
  L: Float64Array;
  /** Indices of the columns kept, in order. */
  kept: number[];
  /** Columns that are (numerically) linear combinations of earlier ones. */
  dropped: number[];
}

/**
 * Cholesky of a symmetric positive semi-definite matrix, in column order, dropping a column whose
 * pivot falls below tolerance * its diagonal (it adds no new direction).
 */
export function choleskyDropping(A: Float64Array, k: number, tolerance = 1e-10): CholeskyResult {
  const kept: number[] = [];
  const dropped: number[] = [];
  // rows of L for kept columns, built incrementally (row-major over kept indices)
  const L: number[][] = [];
  for (let j = 0; j < k; j++) {
    const row: number[] = [];
    for (let p = 0; p < kept.length; p++) {
      let s = A[j * k + kept[p]];
      for (let q = 0; q < p; q++) s -= row[q] * L[p][q];
      row.push(s / L[p][p]);
    }
    let d = A[j * k + j];
    for (const v of row) d -= v * v;
    if (!(d > tolerance * A[j * k + j]) || !(A[j * k + j] > 0)) {
      dropped.push(j);
      continue;
    }
    row.push(Math.sqrt(d));
    L.push(row);
    kept.push(j);
  }
  const m = kept.length;
  const flat = new Float64Array(m * m);
  L.forEach((row, i) => row.forEach((v, j) => (flat[i * m + j] = v)));
  return { L: flat, kept, dropped };
}

/** Solve L L' x = b for a lower-triangular L (m x m). */
export function choleskySolve(L: Float64Array, m: number, b: Float64Array): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = b[i];
    for (let j = 0; j < i; j++) s -= L[i * m + j] * y[j];
    y[i] = s / L[i * m + i];
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = y[i];
    for (let j = i + 1; j < m; j++) s -= L[j * m + i] * x[j];
    x[i] = s / L[i * m + i];
  }
  return x;
}

/** (L L')^-1 for a lower-triangular L (m x m), row-major. */
export function choleskyInverse(L: Float64Array, m: number): Float64Array {
  const inv = new Float64Array(m * m);
  const e = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    e.fill(0);
    e[c] = 1;
    const col = choleskySolve(L, m, e);
    for (let r = 0; r < m; r++) inv[r * m + c] = col[r];
  }
  return inv;
}

/** B M B for symmetric k x k matrices (row-major). */
export function sandwich(B: Float64Array, M: Float64Array, k: number): Float64Array {
  const BM = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let l = 0; l < k; l++) s += B[i * k + l] * M[l * k + j];
    BM[i * k + j] = s;
  }
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let l = 0; l < k; l++) s += BM[i * k + l] * B[l * k + j];
    out[i * k + j] = s;
  }
  return out;
}
