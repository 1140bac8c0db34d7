/**
 * Propensity-score stratification (Rosenbaum & Rubin 1984, JASA 79(387); DoWhy's
 * propensity_score_stratification): units are cut into k strata at the quantiles of the propensity
 * score; within each stratum the effect is the difference in mean outcomes; the overall effect weights
 * strata by their share of all units (ATE), of treated (ATT) or of control units (ATC). Strata without
 * both arms are dropped with a warning. SE = sqrt(sum_s w_s^2 (s_T^2 / n_T + s_C^2 / n_C)), normal
 * interval.
 */
import { normalQuantile, twoSidedNormal } from './distributions.ts';
import { quantile } from './quantile.ts';
import { UserError } from '../util/errors.ts';

export interface Stratum { lower: number; upper: number; nTreated: number; nControl: number; effect: number | null }

export interface StratificationResult {
  estimand: 'ATE' | 'ATT' | 'ATC';
  estimate: number;
  se: number;
  ci: [number, number];
  p: number;
  strata: Stratum[];
  droppedUnits: number;
  warnings: string[];
}

export function stratify(y: ArrayLike<number>, treat: ArrayLike<number>, ps: ArrayLike<number>, options: { strata?: number; estimand?: 'ATE' | 'ATT' | 'ATC'; level?: number } = {}): StratificationResult {
  const k = options.strata ?? 5;
  const estimand = options.estimand ?? 'ATE';
  if (!(Number.isInteger(k) && k >= 1)) throw new UserError(`strata must be a positive whole number, got ${k}`);
  const n = y.length;
  const cuts = Array.from({ length: k - 1 }, (_, s) => quantile(ps, (s + 1) / k));
  const stratumOf = (v: number) => {
    let s = 0;
    while (s < cuts.length && v > cuts[s]) s++;
    return s;
  };
  const sums = Array.from({ length: k }, () => ({ t: [] as number[], c: [] as number[], lo: Infinity, hi: -Infinity }));
  for (let i = 0; i < n; i++) {
    const s = sums[stratumOf(ps[i])];
    (treat[i] === 1 ? s.t : s.c).push(y[i]);
    s.lo = Math.min(s.lo, ps[i]);
    s.hi = Math.max(s.hi, ps[i]);
  }
  const warnings: string[] = [];
  const meanVar = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return [m, v.length > 1 ? v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1) : 0];
  };
  const strata: Stratum[] = [];
  let total = 0;
  let dropped = 0;
  const parts: { w: number; effect: number; variance: number }[] = [];
  for (const s of sums) {
    const usable = s.t.length > 0 && s.c.length > 0;
    const size = estimand === 'ATE' ? s.t.length + s.c.length : estimand === 'ATT' ? s.t.length : s.c.length;
    let effect: number | null = null;
    if (usable) {
      const [mt, vt] = meanVar(s.t);
      const [mc, vc] = meanVar(s.c);
      effect = mt - mc;
      parts.push({ w: size, effect, variance: vt / s.t.length + vc / s.c.length });
      total += size;
    } else if (s.t.length + s.c.length > 0) {
      dropped += s.t.length + s.c.length;
    }
    strata.push({ lower: s.lo, upper: s.hi, nTreated: s.t.length, nControl: s.c.length, effect });
  }
  if (dropped > 0) warnings.push(`${dropped} units in strata without both treated and control units were left out (poor overlap)`);
  if (parts.length === 0 || total === 0) throw new UserError('no stratum has both treated and control units', { hint: 'use fewer strata, or check overlap of the propensity scores' });
  let estimate = 0;
  let variance = 0;
  for (const p of parts) {
    const w = p.w / total;
    estimate += w * p.effect;
    variance += w * w * p.variance;
  }
  const se = Math.sqrt(variance);
  const q = normalQuantile(1 - (1 - (options.level ?? 0.95)) / 2);
  return { estimand, estimate, se, ci: [estimate - q * se, estimate + q * se], p: twoSidedNormal(estimate / se), strata, droppedUnits: dropped, warnings };
}
