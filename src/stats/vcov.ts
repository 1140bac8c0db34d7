/**
 * Covariance matrices of least-squares coefficients, following R's sandwich package:
 * - classical: sigma^2 (X'WX)^-1;
 * - HC0..HC3 (vcovHC): (X'WX)^-1 [sum u_i^2 x~_i x~_i'] (X'WX)^-1 on the sqrt(w)-transformed
 *   regression (x~ = sqrt(w) x, u = sqrt(w) e), with u^2 scaled by n/(n-k) (HC1), 1/(1-h) (HC2) or
 *   1/(1-h)^2 (HC3), h_i = w_i x_i' (X'WX)^-1 x_i (MacKinnon & White 1985);
 * - cluster (vcovCL): a (X'WX)^-1 [sum_g s_g s_g'] (X'WX)^-1 with s_g = sum_{i in g} w_i e_i x_i and
 *   a = G/(G-1) (cadjust) times (n-1)/(n-k) for type HC1 (sandwich's default; note that vcovHC's HC1
 *   factor is n/(n-k)) (Zeileis, Köll & Graham 2020, J Stat Softw 95(1));
 * - two-way cluster (vcovCL with cluster = ~a + b, multi0 = FALSE): the meats of a, of b and minus that
 *   of their intersection, each with its own G/(G-1), then (n-1)/(n-k) for HC1 (Cameron, Gelbach &
 *   Miller 2011, J Bus Econ Stat 29(2)).
 */
import { UserError } from '../util/errors.ts';
import { choleskyDropping, crossprod, sandwich } from './linalg.ts';
import { simdLeverages } from './simd.ts';
import type { LinearFit } from './ols.ts';

export type VcovSpec =
  | { type: 'classical' }
  | { type: 'HC0' | 'HC1' | 'HC2' | 'HC3' }
  | { type: 'cluster'; cluster: ArrayLike<number | string>; hc?: 'HC0' | 'HC1'; cadjust?: boolean }
  | { type: 'twoWayCluster'; clusters: [ArrayLike<number | string>, ArrayLike<number | string>]; hc?: 'HC0' | 'HC1'; cadjust?: boolean };

export type VcovName = 'classical' | 'HC0' | 'HC1' | 'HC2' | 'HC3' | 'cluster' | 'twoWayCluster';

/**
 * Leverages h_i = w_i x_i' (X'WX)^-1 x_i = w_i ||C' x_i||^2 with (X'WX)^-1 = C C' (Cholesky), row by
 * row (k(k+1)/2 multiplications per row): two rows at a time through the SIMD kernel (simd.ts), else
 * in blocks in scalar JavaScript.
 */
export function leverages(fit: LinearFit): Float64Array {
  const { n, k, X, bread, weights } = fit;
  const C = choleskyDropping(bread, k, 0).L; // lower: bread = C C'
  const h = simdLeverages(X, n, k, C) ?? scalarLeverages(X, n, k, C);
  if (weights) for (let i = 0; i < n; i++) h[i] *= weights[i];
  return h;
}

function scalarLeverages(X: Float64Array, n: number, k: number, C: Float64Array): Float64Array {
  const h = new Float64Array(n);
  const B = 256;
  const block = new Float64Array(B * k);
  for (let start = 0; start < n; start += B) {
    const len = Math.min(B, n - start);
    for (let j = 0; j < k; j++) {
      const off = j * n + start;
      for (let i = 0; i < len; i++) block[i * k + j] = X[off + i];
    }
    for (let i = 0; i < len; i++) {
      const row = i * k;
      let s = 0;
      // (C' x)_a = sum_{b >= a} C[b][a] x_b
      for (let a = 0; a < k; a++) {
        let t = 0;
        for (let b = a; b < k; b++) t += C[b * k + a] * block[row + b];
        s += t * t;
      }
      h[start + i] = s;
    }
  }
  return h;
}

export function vcov(fit: LinearFit, spec: VcovSpec): Float64Array {
  const { n, k, bread, residuals: e, weights: w } = fit;
  if (spec.type === 'classical') return bread.map((v) => v * fit.sigma * fit.sigma);
  if (spec.type === 'cluster') return clusterVcov(fit, [spec.cluster], spec.hc ?? 'HC1', spec.cadjust ?? true);
  if (spec.type === 'twoWayCluster') return clusterVcov(fit, spec.clusters, spec.hc ?? 'HC1', spec.cadjust ?? true);
  const omega = new Float64Array(n);
  const h = spec.type === 'HC2' || spec.type === 'HC3' ? leverages(fit) : undefined;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    let u2 = wi * wi * e[i] * e[i]; // (sqrt(w) e)^2 times the sqrt(w) in each x~
    if (spec.type === 'HC2') u2 /= 1 - h![i];
    else if (spec.type === 'HC3') u2 /= (1 - h![i]) * (1 - h![i]);
    omega[i] = u2;
  }
  const V = sandwich(bread, crossprod(fit.X, n, k, omega), k);
  if (spec.type === 'HC1') return V.map((v) => (v * n) / (n - k));
  return V;
}

/** sum_g s_g s_g' times G/(G-1) (cadjust), s_g the summed scores w_i e_i x_i of cluster g. */
function clusterMeat(fit: LinearFit, cluster: ArrayLike<number | string>, cadjust: boolean): Float64Array {
  const { n, k, X, residuals: e, weights: w } = fit;
  if (cluster.length !== n) throw new Error(`cluster has ${cluster.length} values for ${n} rows`);
  const { ids: g, count: G } = denseIds(cluster);
  if (G < 2) throw new UserError('cluster-robust standard errors need at least two clusters');
  const scores = new Float64Array(G * k);
  for (let i = 0; i < n; i++) {
    const s = (w ? w[i] : 1) * e[i];
    const off = g[i] * k;
    for (let j = 0; j < k; j++) scores[off + j] += s * X[j * n + i];
  }
  const meat = new Float64Array(k * k);
  for (let c = 0; c < G; c++) {
    const off = c * k;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) meat[a * k + b] += scores[off + a] * scores[off + b];
  }
  const adjust = cadjust ? G / (G - 1) : 1;
  return meat.map((v) => v * adjust);
}

/** One-way (one cluster variable) or two-way (inclusion-exclusion over both and their intersection). */
function clusterVcov(fit: LinearFit, clusters: ArrayLike<number | string>[], hc: 'HC0' | 'HC1', cadjust: boolean): Float64Array {
  const { n, k, bread } = fit;
  const meat = clusterMeat(fit, clusters[0], cadjust);
  if (clusters.length === 2) {
    const [a, b] = clusters;
    const second = clusterMeat(fit, b, cadjust);
    const both = clusterMeat(fit, Array.from({ length: n }, (_, i) => `${a[i]}\u0000${b[i]}`), cadjust);
    for (let j = 0; j < k * k; j++) meat[j] += second[j] - both[j];
  }
  const adjust = hc === 'HC1' ? (n - 1) / (n - k) : 1;
  return sandwich(bread, meat, k).map((v) => v * adjust);
}

/** Cluster labels as dense ids 0..G-1 (a typed-array fast path for small non-negative integers). */
export function denseIds(cluster: ArrayLike<number | string>): { ids: Int32Array; count: number } {
  const n = cluster.length;
  const ids = new Int32Array(n);
  let small = true;
  let max = 0;
  for (let i = 0; i < n && small; i++) {
    const v = cluster[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 4 * n) small = false;
    else if (v > max) max = v;
  }
  if (small) {
    const remap = new Int32Array(max + 1).fill(-1);
    let count = 0;
    for (let i = 0; i < n; i++) {
      const v = cluster[i] as number;
      if (remap[v] < 0) remap[v] = count++;
      ids[i] = remap[v];
    }
    return { ids, count };
  }
  const index = new Map<number | string, number>();
  for (let i = 0; i < n; i++) {
    let id = index.get(cluster[i]);
    if (id === undefined) {
      id = index.size;
      index.set(cluster[i], id);
    }
    ids[i] = id;
  }
  return { ids, count: index.size };
}

export function standardErrors(V: Float64Array, k: number): Float64Array {
  return Float64Array.from({ length: k }, (_, j) => Math.sqrt(V[j * k + j]));
}
