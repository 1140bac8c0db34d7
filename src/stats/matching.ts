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
 * Ties in distance go where MatchIt's scan finds them first (see CandidatePool); the default order
 * is `largest` for the ATT and `smallest` for the ATC, as MatchIt's.
 */
import { createRandom } from '../util/random.ts';
import { argsort } from './argsort.ts';
import { gather, gatherInt } from './gather.ts';
import { sampleSd } from './describe.ts';
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
  /** Focal units in processing order. */
  focalUnits: Int32Array;
  /** `ratio` slots per focal unit (same order): the units matched to it in the order taken, -1 for none. */
  matched: Int32Array;
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

/**
 * Candidates of one exact-matching group, in the order of all units sorted by distance (R's
 * `order(distance)`: stable, so ties keep data order). Used candidates are skipped in near constant
 * time by two union-find structures ("nearest free position at or right of / left of p", with path
 * halving).
 *
 * Which of two equally near candidates is taken follows MatchIt's scan (nn_matchC_vec.cpp,
 * find_control_vec): from the focal unit's place among all sorted units it steps left, right, left,
 * ... (over every unit, treated ones included), so the candidate found in fewer steps wins, the left
 * one when the steps are equal. In a later round of ratio > 1 matching the scan starts from the unit's
 * outermost earlier matches.
 */
class CandidatePool {
  readonly sorted: Int32Array;
  readonly values: Float64Array;
  /** Each candidate's place among all units sorted by distance. */
  readonly places: Int32Array;
  private readonly right: Int32Array;
  private readonly left: Int32Array;
  /** `units` in the order of their places (distance, ties in data order). */
  constructor(units: number[], distance: ArrayLike<number>, place: Int32Array) {
    this.sorted = Int32Array.from(units);
    this.values = gather(distance, this.sorted);
    this.places = gatherInt(place, this.sorted);
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

  /** Position of the first candidate sorted after the unit at `place`. */
  private after(place: number): number {
    let lo = 0;
    let hi = this.places.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.places[mid] <= place) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The nearest free candidate (position) to the focal unit at distance x and sorted place `place`,
   * within the caliper, or -1; no allocation. The scan's left and right starts (for ties) default to
   * the unit's own place.
   */
  nearestOne(x: number, place: number, caliper: number, leftStart = place, rightStart = place): number {
    const p = this.after(place);
    const left = p > 0 ? this.freeLeft(p - 1) : -1;
    const right = this.freeRight(p);
    const dl = left >= 0 ? x - this.values[left] : Infinity;
    const dr = right >= 0 ? this.values[right] - x : Infinity;
    if (dl === Infinity && dr === Infinity) return -1;
    const takeLeft = dl < dr || (dl === dr && leftStart - this.places[left] <= this.places[right] - rightStart);
    if ((takeLeft ? dl : dr) > caliper) return -1;
    return takeLeft ? left : right;
  }

  /**
   * Up to `count` nearest free candidates to the focal unit within the caliper, nearest first (equal
   * distances: fewer scan steps first, left on equal steps), written as units into out[offset..];
   * returns how many were found. Used with replacement, where nothing is removed.
   */
  nearestInto(x: number, place: number, count: number, caliper: number, out: Int32Array, offset: number): number {
    const p = this.after(place);
    let left = p > 0 ? this.freeLeft(p - 1) : -1;
    let right = this.freeRight(p);
    let found = 0;
    while (found < count && (left >= 0 || right >= 0)) {
      const dl = left >= 0 ? x - this.values[left] : Infinity;
      const dr = right >= 0 ? this.values[right] - x : Infinity;
      const takeLeft = dl < dr || (dl === dr && place - this.places[left] <= this.places[right] - place);
      if ((takeLeft ? dl : dr) > caliper) break;
      if (takeLeft) {
        out[offset + found++] = this.sorted[left];
        left = left > 0 ? this.freeLeft(left - 1) : -1;
      } else {
        out[offset + found++] = this.sorted[right];
        right = this.freeRight(right + 1);
      }
    }
    return found;
  }
}

export function nearestNeighbourMatch(distance: ArrayLike<number>, treat: ArrayLike<number>, options: MatchOptions = {}): MatchResult {
  const n = distance.length;
  const estimand = options.estimand ?? 'ATT';
  const ratio = options.ratio ?? 1;
  const replace = options.replace ?? false;
  // MatchIt's default: the largest distances first for the ATT, the smallest first for the ATC
  const order = options.order ?? (estimand === 'ATC' ? 'smallest' : 'largest');
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
  for (let i = 0; i < n; i++) if (!discarded[i] && treat[i] === focalArm) focal.push(i);
  // every unit's place in R's order(distance) (stable ascending), treated and discarded units included
  const byDistance = argsort(distance);
  const place = new Int32Array(n);
  for (let r = 0; r < n; r++) place[byDistance[r]] = r;
  // the other arm's units per exact-matching group, in that order: one pass over the sorted units
  const others = new Map<string | number, number[]>();
  for (let r = 0; r < n; r++) {
    const u = byDistance[r];
    if (discarded[u] || treat[u] === focalArm) continue;
    const key = options.exact ? options.exact[u] : 0;
    const list = others.get(key);
    if (list) list.push(u);
    else others.set(key, [u]);
  }
  if (focal.length === 0) throw new NoMatchesError(`no ${focalArm ? 'treated' : 'control'} units to match`);
  if (others.size === 0) throw new NoMatchesError(`no ${focalArm ? 'control' : 'treated'} units to match with`);

  let caliperDistance: number | null = null;
  if (options.caliper !== undefined) {
    if (!(options.caliper > 0)) throw new UserError(`caliper must be positive, got ${options.caliper}`);
    caliperDistance = options.caliper * sampleSd(Array.from(distance).filter((_, i) => !discarded[i]));
  }
  const caliper = caliperDistance ?? Infinity;

  // processing order (stable: ties keep data order)
  if (order === 'largest' || order === 'smallest') {
    const sign = order === 'largest' ? -1 : 1;
    const keys = gather(distance, focal);
    for (let r = 0; r < keys.length; r++) keys[r] *= sign;
    const sorted = argsort(keys);
    const copy = [...focal];
    sorted.forEach((o, r) => (focal[r] = copy[o]));
  } else if (order === 'random') {
    const rng = createRandom(options.seed ?? 0);
    for (let i = focal.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [focal[i], focal[j]] = [focal[j], focal[i]];
    }
  }

  const pools = new Map<string | number, CandidatePool>();
  for (const [key, units] of others) pools.set(key, new CandidatePool(units, distance, place));
  const onlyPool = options.exact ? undefined : pools.get(0);
  const poolOf = (f: number) => onlyPool ?? pools.get(options.exact![f]);
  const F = focal.length;
  const focalUnits = Int32Array.from(focal);
  const matched = new Int32Array(F * ratio).fill(-1);
  if (replace) {
    for (let r = 0; r < F; r++) {
      const pool = poolOf(focalUnits[r]);
      if (pool) pool.nearestInto(distance[focalUnits[r]], place[focalUnits[r]], ratio, caliper, matched, r * ratio);
    }
  } else {
    // rounds: every focal unit gets its first match, then its second, ...
    let active = Int32Array.from({ length: F }, (_, r) => r);
    for (let round = 0; round < ratio; round++) {
      let kept = 0;
      for (let a = 0; a < active.length; a++) {
        const r = active[a];
        const f = focalUnits[r];
        const pool = poolOf(f);
        // a later round's scan starts beyond the unit's earlier matches (MatchIt's possible_starts)
        let leftStart = place[f];
        let rightStart = place[f];
        for (let j = 0; j < round; j++) {
          const c = matched[r * ratio + j];
          if (c < 0) continue;
          leftStart = Math.min(leftStart, place[c]);
          rightStart = Math.max(rightStart, place[c]);
        }
        const pos = pool ? pool.nearestOne(distance[f], place[f], caliper, leftStart, rightStart) : -1;
        if (pos < 0) continue;
        pool!.remove(pos);
        matched[r * ratio + round] = pool!.sorted[pos];
        active[kept++] = r;
      }
      active = active.subarray(0, kept);
    }
  }
  const weights = new Float64Array(n);
  const subclass = new Int32Array(n).fill(-1);
  const unmatched: number[] = [];
  let focalMatched = 0;
  for (let r = 0; r < F; r++) {
    const f = focalUnits[r];
    let count = 0;
    for (let j = 0; j < ratio; j++) if (matched[r * ratio + j] >= 0) count++;
    if (count === 0) {
      unmatched.push(f);
      continue;
    }
    focalMatched++;
    weights[f] = 1;
    if (!replace) subclass[f] = f;
    for (let j = 0; j < ratio; j++) {
      const c = matched[r * ratio + j];
      if (c < 0) continue;
      weights[c] += 1 / count;
      if (!replace) subclass[c] = f;
    }
  }
  if (focalMatched === 0) throw new NoMatchesError(caliperDistance !== null ? `no ${focalArm ? 'treated' : 'control'} unit has a match within the caliper (${caliperDistance.toPrecision(3)} in distance units)` : 'no matches were made');
  if (unmatched.length > 0) warnings.push(`${unmatched.length} of ${F} ${focalArm ? 'treated' : 'control'} units had no match${caliperDistance !== null ? ' within the caliper' : ''} and were dropped: the estimand is now the effect in the matched ${focalArm ? 'treated' : 'control'} units`);
  let available = 0;
  for (const units of others.values()) available += units.length;
  if (!replace && F * ratio > available) {
    warnings.push(`${available} ${focalArm ? 'control' : 'treated'} units for ${F} ${focalArm ? 'treated' : 'control'} units times the ratio ${ratio}: matching without replacement runs out, so some ${focalArm ? 'treated' : 'control'} units got fewer matches or none (matching with replacement does not run out)`);
  }
  // normalise within each group: positive weights sum to their count
  const sum = [0, 0];
  const count = [0, 0];
  for (let i = 0; i < n; i++) if (weights[i] > 0) { sum[treat[i]] += weights[i]; count[treat[i]]++; }
  for (let i = 0; i < n; i++) if (weights[i] > 0) weights[i] *= count[treat[i]] / sum[treat[i]];
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
    focalUnits,
    matched,
    weights,
    subclass,
    unmatchedFocal: unmatched.sort((a, b) => a - b),
    discarded: discardedList,
    counts: { focal: F, focalMatched, matchedOther, matchedRows },
    warnings,
  };
}

/** The matches as a map from each matched focal unit to its matched units, in the order taken. */
export function matchesOf(result: MatchResult): Map<number, number[]> {
  const ratio = result.options.ratio;
  const out = new Map<number, number[]>();
  result.focalUnits.forEach((f, r) => {
    const list: number[] = [];
    for (let j = 0; j < ratio; j++) if (result.matched[r * ratio + j] >= 0) list.push(result.matched[r * ratio + j]);
    if (list.length) out.set(f, list);
  });
  return out;
}
