/**
 * Propensity-score stratification (Rosenbaum & Rubin 1984, JASA 79(387); MatchIt's
 * `method = "subclass"`): units are cut into k strata at quantiles (R's type 7) of the propensity
 * score; within each stratum the effect is the difference in mean outcomes; the overall effect weights
 * strata by their share of all units (ATE), of treated (ATT) or of control units (ATC), which equals
 * MatchIt's lm(y ~ treat, weights) on its subclass weights.
 * - Cut points, as MatchIt: the quantiles of the treated units' scores for the ATT, of the control
 *   units' for the ATC, of all units' for the ATE (`cuts: 'all'` uses all units for every estimand).
 * - A unit exactly on a cut point goes to the upper stratum (R's findInterval, left-closed intervals);
 *   units below the lowest or above the highest cut go to the first or last stratum.
 * - Strata without both arms are dropped with a warning (MatchIt instead moves units in from the
 *   neighbouring strata); an arm of a single unit has no variance, which the SE counts as 0, and a
 *   warning says so.
 * SE = sqrt(sum_s w_s^2 (s_T^2 / n_T + s_C^2 / n_C)), normal interval.
 */
import { normalQuantile, twoSidedNormal } from './distributions.ts';
import { quantile } from './quantile.ts';
import { UserError } from '../util/errors.ts';

export interface Stratum { lower: number; upper: number; nTreated: number; nControl: number; effect: number | null }

export type StrataCuts = 'focal' | 'all';

export interface StratificationResult {
  estimand: 'ATE' | 'ATT' | 'ATC';
  /** Whose scores the cut points are quantiles of, in words. */
  cutRule: string;
  /** The k - 1 inner cut points. */
  cuts: number[];
  /** Each unit's stratum (0-based). */
  stratum: Int32Array;
  estimate: number;
  se: number;
  ci: [number, number];
  p: number;
  strata: Stratum[];
  droppedUnits: number;
  warnings: string[];
}

export function stratify(y: ArrayLike<number>, treat: ArrayLike<number>, ps: ArrayLike<number>, options: { strata?: number; estimand?: 'ATE' | 'ATT' | 'ATC'; level?: number; cuts?: StrataCuts } = {}): StratificationResult {
  const k = options.strata ?? 5;
  const estimand = options.estimand ?? 'ATE';
  if (!(Number.isInteger(k) && k >= 1)) throw new UserError(`strata must be a positive whole number, got ${k}`);
  const n = y.length;
  const focal = (options.cuts ?? 'focal') === 'focal' && estimand !== 'ATE' ? (estimand === 'ATT' ? 1 : 0) : null;
  const cutScores = focal === null ? Array.from(ps) : Array.from(ps).filter((_, i) => treat[i] === focal);
  const cutRule = focal === null ? 'quantiles of all units\' scores' : `quantiles of the ${focal === 1 ? 'treated' : 'control'} units' scores`;
  const cuts = Array.from({ length: k - 1 }, (_, s) => quantile(cutScores, (s + 1) / k));
  // findInterval: a unit on a cut point belongs to the stratum above it
  const stratumOf = (v: number) => {
    let s = 0;
    while (s < cuts.length && v >= cuts[s]) s++;
    return s;
  };
  const stratum = new Int32Array(n);
  const sums = Array.from({ length: k }, () => ({ t: [] as number[], c: [] as number[], lo: Infinity, hi: -Infinity }));
  for (let i = 0; i < n; i++) {
    stratum[i] = stratumOf(ps[i]);
    const s = sums[stratum[i]];
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
  const singles: string[] = [];
  const parts: { w: number; effect: number; variance: number }[] = [];
  for (const s of sums) {
    const usable = s.t.length > 0 && s.c.length > 0;
    const size = estimand === 'ATE' ? s.t.length + s.c.length : estimand === 'ATT' ? s.t.length : s.c.length;
    let effect: number | null = null;
    if (usable) {
      if (s.t.length === 1) singles.push(`stratum ${strata.length + 1} has a single treated unit`);
      if (s.c.length === 1) singles.push(`stratum ${strata.length + 1} has a single control unit`);
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
  const empty = sums.filter((s) => s.t.length + s.c.length === 0).length;
  if (empty > 0) warnings.push(`${empty} of ${k} strata are empty: the scores take too few distinct values for ${k} strata; use fewer`);
  if (singles.length > 0) warnings.push(`${singles.join('; ')}: a single unit's variance cannot be estimated and counts as 0, so the SE is too small; use fewer strata`);
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
  return { estimand, cutRule, cuts, stratum, estimate, se, ci: [estimate - q * se, estimate + q * se], p: twoSidedNormal(estimate / se), strata, droppedUnits: dropped, warnings };
}
