/**
 * Greedy nearest-neighbour matching on a distance (the propensity score), following MatchIt 4.7
 * (Ho, Imai, King & Stuart 2011, J Stat Softw 42(8); MatchIt's `method = "nearest"`):
 * - focal units (treated for ATT, control for ATC) are processed one at a time in `order`
 *   (largest / smallest distance first, data order, or a seeded random order; ties in the ordering
 *   keep data order), each taking the closest still-available unit of the other group;
 * - without replacement and ratio > 1, matching runs in rounds: every focal unit gets its first
 *   match, then a second pass gives second matches, and so on;
 * - with replacement each focal unit takes its `ratio` nearest units directly;
 * - caliper (in SDs of the distance, the SD taken over all non-discarded units pooled, n - 1): a unit
 *   is eligible iff |difference| <= caliper; a focal unit with no eligible match in round 1 is
 *   dropped, one with fewer in later rounds keeps what it got;
 * - exact matching: only units with equal values on the exact columns are candidates;
 * - common support (`discard`): units outside the other group's distance range are dropped first;
 * - weights: focal units 1; a matched unit gets the sum over its focal units of 1 / (that focal
 *   unit's number of matches); then weights are rescaled within each group to sum to the number of
 *   units with positive weight (MatchIt's normalisation).
 * Ties in distance (none occur in the reference data) go to the candidate first in data order.
 */
import { createRandom } from '../util/random.ts';
import { UserError } from '../util/errors.ts';

export type MatchOrder = 'largest' | 'smallest' | 'data' | 'random';
export type Estimand = 'ATT' | 'ATC' | 'ATE';
export type Discard = 'none' | 'treated' | 'control' | 'both';

export interface MatchOptions {
  estimand?: 'ATT' | 'ATC';
  ratio?: number;
  replace?: boolean;
  /** Caliper in standard deviations of the distance (MatchIt's std.caliper = TRUE). */
  caliper?: number;
  order?: MatchOrder;
  seed?: number;
  /** Values that must be equal within a match (one key per unit, e.g. joined exact columns). */
  exact?: ArrayLike<string | number>;
  discard?: Discard;
}

export interface MatchResult {
  estimand: 'ATT' | 'ATC';
  options: { ratio: number; replace: boolean; caliper: number | null; order: MatchOrder; discard: Discard; exact: boolean };
  /** Caliper in distance units, when one was given. */
  caliperDistance: number | null;
  /** For each focal unit (by index), the indices of its matches in the order taken; focal units without a match are absent. */
  matches: Map<number, number[]>;
  /** Matching weights per unit (0 = not in the matched sample). */
  weights: Float64Array;
  /** Subclass (the focal unit's index) per unit for matching without replacement; -1 otherwise. */
  subclass: Int32Array;
  /** Focal units dropped because no unit lay within the caliper (or shared their exact values). */
  unmatchedFocal: number[];
  /** Units dropped by the common-support rule. */
  discarded: number[];
  counts: { focal: number; focalMatched: number; matchedOther: number; matchedRows: number };
  warnings: string[];
}

export class NoMatchesError extends UserError {
  constructor(message: string) {
    super(message, { hint: 'widen the caliper, drop exact-matching columns, or check overlap of the propensity scores' });
    this.name = 'NoMatchesError';
  }
}

function sampleSd(values: ArrayLike<number>, keep: (i: number) => boolean): number {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    if (!keep(i)) continue;
    n++;
    const d = values[i] - mean;
    mean += d / n;
    m2 += d * (values[i] - mean);
  }
  return n > 1 ? Math.sqrt(m2 / (n - 1)) : NaN;
}

/**
 * Candidates of one exact-matching group, sorted by distance. Used candidates are skipped in near
 * constant time by two union-find structures ("nearest free position at or right of / left of p",
 * with path halving).
 */
class CandidatePool {
  readonly sorted: Int32Array;
  readonly values: Float64Array;
  private readonly right: Int32Array;
  private readonly left: Int32Array;
  constructor(units: number[], distance: ArrayLike<number>) {
    units.sort((a, b) => distance[a] - distance[b] || a - b);
    this.sorted = Int32Array.from(units);
    this.values = Float64Array.from(units, (u) => distance[u]);
    const m = units.length;
    this.right = Int32Array.from({ length: m + 1 }, (_, i) => i); // index m: none
    this.left = Int32Array.from({ length: m + 1 }, (_, i) => i); // shifted by one; index 0: none
  }

  /** The first free position >= p, or -1. */
  private freeRight(p: number): number {
    const r = this.right;
    while (r[p] !== p) {
      r[p] = r[r[p]];
      p = r[p];
    }
    return p < this.sorted.length ? p : -1;
  }

  /** The last free position <= p, or -1. */
  private freeLeft(p: number): number {
    const l = this.left;
    let q = p + 1;
    while (l[q] !== q) {
      l[q] = l[l[q]];
      q = l[q];
    }
    return q - 1;
  }

  remove(pos: number): void {
    this.right[pos] = pos + 1;
    this.left[pos + 1] = pos;
  }

  /** Position of the first candidate with value >= x. */
  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.values[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Up to `count` nearest free candidates to x within the caliper, nearest first (removed ones are
   * never returned). Returns positions in the sorted order.
   */
  nearest(x: number, count: number, caliper: number): number[] {
    const out: number[] = [];
    const p = this.lowerBound(x);
    let left = p > 0 ? this.freeLeft(p - 1) : -1;
    let right = this.freeRight(p);
    while (out.length < count && (left >= 0 || right >= 0)) {
      const dl = left >= 0 ? x - this.values[left] : Infinity;
      const dr = right >= 0 ? this.values[right] - x : Infinity;
      // equal distances: the candidate earlier in data order
      const takeLeft = dl < dr || (dl === dr && this.sorted[left] < this.sorted[right]);
      if ((takeLeft ? dl : dr) > caliper) break;
      if (takeLeft) {
        out.push(left);
        left = left > 0 ? this.freeLeft(left - 1) : -1;
      } else {
        out.push(right);
        right = this.freeRight(right + 1);
      }
    }
    return out;
  }
}

export function nearestNeighbourMatch(distance: ArrayLike<number>, treat: ArrayLike<number>, options: MatchOptions = {}): MatchResult {
  const n = distance.length;
  const estimand = options.estimand ?? 'ATT';
  const ratio = options.ratio ?? 1;
  const replace = options.replace ?? false;
  const order = options.order ?? 'largest';
  const discard = options.discard ?? 'none';
  if (!Number.isInteger(ratio) || ratio < 1) throw new UserError(`ratio must be a positive whole number, got ${ratio}`);
  const warnings: string[] = [];
  const focalArm = estimand === 'ATT' ? 1 : 0;
  for (let i = 0; i < n; i++) if (treat[i] !== 0 && treat[i] !== 1) throw new UserError(`treatment must be 0 or 1; row ${i + 1} has ${treat[i]}`);

  // common support: drop units outside the other group's range
  const discarded = new Uint8Array(n);
  if (discard !== 'none') {
    const range = [[Infinity, -Infinity], [Infinity, -Infinity]];
    for (let i = 0; i < n; i++) {
      const r = range[treat[i]];
      r[0] = Math.min(r[0], distance[i]);
      r[1] = Math.max(r[1], distance[i]);
    }
    for (let i = 0; i < n; i++) {
      const arm = treat[i];
      if ((discard === 'treated' && arm !== 1) || (discard === 'control' && arm !== 0)) continue;
      const other = range[1 - arm];
      if (distance[i] < other[0] || distance[i] > other[1]) discarded[i] = 1;
    }
  }
  const focal: number[] = [];
  const others = new Map<string | number, number[]>();
  for (let i = 0; i < n; i++) {
    if (discarded[i]) continue;
    if (treat[i] === focalArm) focal.push(i);
    else {
      const key = options.exact ? options.exact[i] : 0;
      const list = others.get(key) ?? [];
      list.push(i);
      others.set(key, list);
    }
  }
  if (focal.length === 0) throw new NoMatchesError(`no ${focalArm ? 'treated' : 'control'} units to match`);
  if (others.size === 0) throw new NoMatchesError(`no ${focalArm ? 'control' : 'treated'} units to match with`);

  let caliperDistance: number | null = null;
  if (options.caliper !== undefined) {
    if (!(options.caliper > 0)) throw new UserError(`caliper must be positive, got ${options.caliper}`);
    caliperDistance = options.caliper * sampleSd(distance, (i) => !discarded[i]);
  }
  const caliper = caliperDistance ?? Infinity;

  // processing order (stable: ties keep data order)
  if (order === 'largest') focal.sort((a, b) => distance[b] - distance[a] || a - b);
  else if (order === 'smallest') focal.sort((a, b) => distance[a] - distance[b] || a - b);
  else if (order === 'random') {
    const rng = createRandom(options.seed ?? 0);
    for (let i = focal.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [focal[i], focal[j]] = [focal[j], focal[i]];
    }
  }

  const pools = new Map<string | number, CandidatePool>();
  for (const [key, units] of others) pools.set(key, new CandidatePool(units, distance));
  const matches = new Map<number, number[]>();
  const unmatched: number[] = [];
  if (replace) {
    for (const f of focal) {
      const pool = pools.get(options.exact ? options.exact[f] : 0);
      const got = pool ? pool.nearest(distance[f], ratio, caliper).map((p) => pool.sorted[p]) : [];
      if (got.length) matches.set(f, got);
      else unmatched.push(f);
    }
  } else {
    let active = focal;
    for (let round = 0; round < ratio; round++) {
      const stillActive: number[] = [];
      for (const f of active) {
        const pool = pools.get(options.exact ? options.exact[f] : 0);
        const got = pool ? pool.nearest(distance[f], 1, caliper) : [];
        if (got.length === 0) {
          if (round === 0) unmatched.push(f);
          continue;
        }
        const pos = got[0];
        pool!.remove(pos);
        const list = matches.get(f) ?? [];
        list.push(pool!.sorted[pos]);
        matches.set(f, list);
        stillActive.push(f);
      }
      active = stillActive;
    }
  }
  if (matches.size === 0) throw new NoMatchesError(caliperDistance !== null ? `no ${focalArm ? 'treated' : 'control'} unit has a match within the caliper (${caliperDistance.toPrecision(3)} in distance units)` : 'no matches were made');
  if (unmatched.length > 0) warnings.push(`${unmatched.length} of ${focal.length} ${focalArm ? 'treated' : 'control'} units had no match${caliperDistance !== null ? ' within the caliper' : ''} and were dropped: the estimand is now the effect in the matched ${focalArm ? 'treated' : 'control'} units`);
  if (!replace && focal.length * ratio > [...others.values()].reduce((s, u) => s + u.length, 0)) {
    warnings.push(`fewer ${focalArm ? 'control' : 'treated'} units than ${focalArm ? 'treated' : 'control'} units times the ratio: some got fewer matches`);
  }

  const weights = new Float64Array(n);
  const subclass = new Int32Array(n).fill(-1);
  for (const [f, list] of matches) {
    weights[f] = 1;
    for (const c of list) weights[c] += 1 / list.length;
    if (!replace) {
      subclass[f] = f;
      for (const c of list) subclass[c] = f;
    }
  }
  // normalise within each group: positive weights sum to their count
  for (const arm of [0, 1]) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) if (treat[i] === arm && weights[i] > 0) { sum += weights[i]; count++; }
    if (sum > 0) for (let i = 0; i < n; i++) if (treat[i] === arm && weights[i] > 0) weights[i] *= count / sum;
  }
  let matchedOther = 0;
  let matchedRows = 0;
  for (let i = 0; i < n; i++) if (weights[i] > 0) {
    matchedRows++;
    if (treat[i] !== focalArm) matchedOther++;
  }
  const discardedList: number[] = [];
  discarded.forEach((d, i) => d && discardedList.push(i));
  if (discardedList.length) warnings.push(`${discardedList.length} units outside common support were discarded`);
  return {
    estimand,
    options: { ratio, replace, caliper: options.caliper ?? null, order, discard, exact: Boolean(options.exact) },
    caliperDistance,
    matches,
    weights,
    subclass,
    unmatchedFocal: unmatched.sort((a, b) => a - b),
    discarded: discardedList,
    counts: { focal: focal.length, focalMatched: matches.size, matchedOther, matchedRows },
    warnings,
  };
}
