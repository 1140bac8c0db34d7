/**
 * Small dense linear algebra for regression: k x k matrices (row-major Float64Array) built from tall
 * column-major designs (n x k). Least squares goes through the normal equations of the *scaled*
 * design (each column divided by its root mean square), which keeps the condition number small
 * whatever the units (x in 1e4 next to x in 1), solved by Cholesky. A column whose remaining pivot is
 * below `tolerance` times its own scale is a linear combination of earlier columns (collinearity).
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), 4.2 and 5.3.
 */

/** Root-mean-square of each column (1 for an all-zero column), used to scale the design. */
export function columnScales(X: Float64Array, n: number, k: number, w?: Float64Array): Float64Array {
  const s = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let ss = 0;
    let sw = 0;
    const off = j * n;
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i] : 1;
      ss += wi * X[off + i] * X[off + i];
      sw += wi;
    }
    const rms = Math.sqrt(ss / sw);
    s[j] = rms > 0 ? rms : 1;
  }
  return s;
}

/** A = Z' W Z for Z = X / scales (row-major k x k). */
export function scaledCrossprod(X: Float64Array, n: number, k: number, scales: Float64Array, w?: Float64Array): Float64Array {
  const A = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    const oa = a * n;
    for (let b = 0; b <= a; b++) {
      const ob = b * n;
      let s = 0;
      if (w) for (let i = 0; i < n; i++) s += w[i] * X[oa + i] * X[ob + i];
      else for (let i = 0; i < n; i++) s += X[oa + i] * X[ob + i];
      s /= scales[a] * scales[b];
      A[a * k + b] = s;
      A[b * k + a] = s;
    }
  }
  return A;
}

/** Z' W v for Z = X / scales. */
export function scaledCrossprodVector(X: Float64Array, n: number, k: number, scales: Float64Array, v: Float64Array, w?: Float64Array): Float64Array {
  const out = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const off = j * n;
    let s = 0;
    if (w) for (let i = 0; i < n; i++) s += w[i] * X[off + i] * v[i];
    else for (let i = 0; i < n; i++) s += X[off + i] * v[i];
    out[j] = s / scales[j];
  }
  return out;
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
