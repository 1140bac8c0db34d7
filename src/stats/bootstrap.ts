/**
 * The nonparametric bootstrap for any statistic of a sample (Efron & Tibshirani 1993, An Introduction
 * to the Bootstrap, ch. 13-14): replicates resample units (or whole clusters, e.g. matched pairs or
 * repositories) with replacement. Replicate r draws from a generator seeded by (seed, r), so the
 * result does not depend on how replicates are split across threads.
 * Intervals: percentile (quantiles of the replicates, R's type 7), and BCa with bias correction
 * z0 = Phi^-1(#{theta* < theta} / B) and acceleration from the jackknife,
 * a = sum (mean - theta_(i))^3 / (6 [sum (mean - theta_(i))^2]^1.5). Above 500 units (clusters) the
 * jackknife deletes 500 interleaved blocks instead of single units (a grouped jackknife).
 */
import { createRandom, deriveSeed } from '../util/random.ts';
import { UserError } from '../util/errors.ts';
import { normalCdf, normalQuantile } from './distributions.ts';
import { quantile } from './quantile.ts';

export interface BootstrapOptions {
  replicates: number;
  seed?: number;
  level?: number;
  interval?: 'percentile' | 'bca';
  /** Resample these groups (one id per unit) instead of units. */
  cluster?: ArrayLike<number | string>;
}

export interface BootstrapResult {
  estimate: number;
  se: number;
  bias: number;
  ci: [number, number];
  interval: 'percentile' | 'bca';
  level: number;
  replicates: number;
  failed: number;
  resampling: 'units' | 'clusters';
  z0?: number;
  acceleration?: number;
  warnings: string[];
}

export type Statistic = (rows: Int32Array) => number;

interface Groups { members: Int32Array[] }

function groupsOf(n: number, cluster?: ArrayLike<number | string>): Groups {
  if (!cluster) return { members: Array.from({ length: n }, (_, i) => Int32Array.of(i)) };
  const map = new Map<number | string, number[]>();
  for (let i = 0; i < n; i++) {
    const list = map.get(cluster[i]) ?? [];
    list.push(i);
    map.set(cluster[i], list);
  }
  return { members: [...map.values()].map((l) => Int32Array.from(l)) };
}

/** The rows of bootstrap replicate r (deterministic in seed and r). */
export function replicateRows(groups: Int32Array[], seed: number, r: number): Int32Array {
  const rng = createRandom(deriveSeed(seed, `replicate-${r}`));
  const chosen: Int32Array[] = [];
  let total = 0;
  for (let g = 0; g < groups.length; g++) {
    const pick = groups[rng.int(groups.length)];
    chosen.push(pick);
    total += pick.length;
  }
  const rows = new Int32Array(total);
  let off = 0;
  for (const c of chosen) { rows.set(c, off); off += c.length; }
  return rows;
}

/** Replicate statistics for replicates [from, to): NaN where the statistic failed on a resample. */
export function runReplicates(n: number, statistic: Statistic, seed: number, from: number, to: number, cluster?: ArrayLike<number | string>): Float64Array {
  const { members } = groupsOf(n, cluster);
  const out = new Float64Array(to - from);
  for (let r = from; r < to; r++) {
    try {
      const v = statistic(replicateRows(members, seed, r));
      out[r - from] = Number.isFinite(v) ? v : NaN;
    } catch {
      out[r - from] = NaN;
    }
  }
  return out;
}

/** Summarise replicate values into SE and interval (shared by the threaded runner). */
export function summariseBootstrap(n: number, statistic: Statistic, estimate: number, values: Float64Array, options: BootstrapOptions): BootstrapResult {
  const level = options.level ?? 0.95;
  const interval = options.interval ?? 'percentile';
  const ok = values.filter((v) => !Number.isNaN(v));
  const failed = values.length - ok.length;
  const warnings: string[] = [];
  if (failed > 0) warnings.push(`${failed} of ${values.length} bootstrap replicates failed (e.g. a resample without treated or control units) and were left out`);
  if (ok.length < 2) throw new UserError(`only ${ok.length} bootstrap replicates succeeded`, { hint: 'the estimator fails on most resamples: check arm sizes, or resample clusters' });
  const meanRep = ok.reduce((s, v) => s + v, 0) / ok.length;
  const se = Math.sqrt(ok.reduce((s, v) => s + (v - meanRep) ** 2, 0) / (ok.length - 1));
  const alpha = (1 - level) / 2;
  let ci: [number, number] = [quantile(ok, alpha), quantile(ok, 1 - alpha)];
  const result: BootstrapResult = { estimate, se, bias: meanRep - estimate, ci, interval, level, replicates: ok.length, failed, resampling: options.cluster ? 'clusters' : 'units', warnings };
  if (interval === 'bca') {
    let below = 0;
    for (const v of ok) below += v < estimate ? 1 : v === estimate ? 0.5 : 0;
    const z0 = normalQuantile(below / ok.length);
    const acceleration = jackknifeAcceleration(n, statistic, options.cluster);
    const adjust = (zq: number) => normalCdf(z0 + (z0 + zq) / (1 - acceleration * (z0 + zq)));
    const lo = adjust(normalQuantile(alpha));
    const hi = adjust(normalQuantile(1 - alpha));
    if (!Number.isFinite(z0) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
      warnings.push('BCa interval undefined (every replicate on one side of the estimate); the percentile interval is given');
      result.interval = 'percentile';
    } else ci = [quantile(ok, lo), quantile(ok, hi)];
    Object.assign(result, { ci, z0, acceleration });
  }
  return result;
}

function jackknifeAcceleration(n: number, statistic: Statistic, cluster?: ArrayLike<number | string>): number {
  const { members } = groupsOf(n, cluster);
  const blocks = Math.min(members.length, 500);
  const theta: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const rows: number[] = [];
    members.forEach((m, g) => { if (g % blocks !== b) for (const i of m) rows.push(i); });
    try {
      const v = statistic(Int32Array.from(rows));
      if (Number.isFinite(v)) theta.push(v);
    } catch { /* a failed deletion is left out */ }
  }
  const mean = theta.reduce((s, v) => s + v, 0) / theta.length;
  let num = 0;
  let den = 0;
  for (const t of theta) {
    num += (mean - t) ** 3;
    den += (mean - t) ** 2;
  }
  return den > 0 ? num / (6 * den ** 1.5) : 0;
}

export function bootstrap(n: number, statistic: Statistic, options: BootstrapOptions): BootstrapResult {
  if (!(Number.isInteger(options.replicates) && options.replicates >= 2)) throw new UserError(`bootstrap replicates must be a whole number >= 2, got ${options.replicates}`);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const estimate = statistic(all);
  const values = runReplicates(n, statistic, options.seed ?? 0, 0, options.replicates, options.cluster);
  return summariseBootstrap(n, statistic, estimate, values, options);
}
