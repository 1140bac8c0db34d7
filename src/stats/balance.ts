/**
 * Covariate balance, with MatchIt's summary() conventions (MatchIt 4.7, `summary.matchit`;
 * Stuart 2010, Stat Sci 25(1)):
 * - rows: the distance, each numeric covariate, and one 0/1 row per level of a categorical covariate
 *   (all levels);
 * - SMD = (weighted mean_T - weighted mean_C) / SD, the SD fixed before matching from all units of the
 *   focal group (treated for ATT, control for ATC; pooled sqrt((s_T^2 + s_C^2)/2) for ATE); sample SD
 *   (n - 1) for continuous rows, sqrt(p(1 - p)) for binary rows;
 * - variance ratio var_T / var_C with weighted "reliability" variances
 *   sum w (x - m)^2 / (1 - sum w^2), w normalised to sum 1 (continuous rows only);
 * - eCDF mean / max of |F_T(x) - F_C(x)| over every distinct value of x in the full data (unmatched
 *   units included with weight 0), weights normalised within group; for binary rows both are
 *   |difference in proportions|;
 * - standardised pair distance (after matching without replacement): mean |x_t - x_c| over the
 *   treated-control pairs of each matched set, divided by the SMD's SD;
 * - effective sample size (sum w)^2 / sum w^2 per group.
 */
import { getColumn, isNumeric, type DataTable } from './table.ts';
import { levelsOf } from './design.ts';

export interface BalanceRow {
  /** R's name of the column (MatchIt, model.matrix): `languagejavascript` for a level. */
  variable: string;
  /** The name to print: `language = javascript` for a level of a categorical covariate. */
  label: string;
  binary: boolean;
  meanTreated: number;
  meanControl: number;
  smd: number;
  varianceRatio: number | null;
  ecdfMean: number;
  ecdfMax: number;
  stdPairDistance: number | null;
}

export interface BalanceTable {
  estimand: 'ATT' | 'ATC' | 'ATE';
  /** The SD each row's SMD is divided by. */
  smdDenominators: Record<string, number>;
  rows: BalanceRow[];
  sampleSizes: { treated: number; control: number; essTreated: number; essControl: number };
}

export interface BalanceInput {
  table: DataTable;
  covariates: readonly string[];
  treat: ArrayLike<number>;
  /** Propensity score (the `distance` row), optional. */
  distance?: ArrayLike<number>;
  /** Weights after adjustment (0 = not in the sample); all 1 when absent ("before"). */
  weights?: ArrayLike<number>;
  /** Matched-set ids (-1 = none), for the standardised pair distance. */
  subclass?: ArrayLike<number>;
  estimand?: 'ATT' | 'ATC' | 'ATE';
}

interface Variable { name: string; label: string; values: Float64Array; binary: boolean }

/** The balance table's variables: distance, numeric covariates, one 0/1 column per categorical level. */
export function balanceVariables(table: DataTable, covariates: readonly string[], distance?: ArrayLike<number>): Variable[] {
  const out: Variable[] = [];
  if (distance) out.push({ name: 'distance', label: 'distance', values: Float64Array.from(distance), binary: false });
  for (const name of covariates) {
    const column = getColumn(table, name);
    if (isNumeric(column)) {
      out.push({ name, label: name, values: column, binary: column.every((v) => v === 0 || v === 1) });
    } else {
      for (const level of levelsOf(table, name)) {
        out.push({ name: `${name}${level}`, label: `${name} = ${level}`, values: Float64Array.from(column, (v) => (v === level ? 1 : 0)), binary: true });
      }
    }
  }
  return out;
}

function weightedMean(x: Float64Array, w: Float64Array, idx: number[]): number {
  let s = 0;
  let sw = 0;
  for (const i of idx) { s += w[i] * x[i]; sw += w[i]; }
  return s / sw;
}

/** sum w (x - m)^2 / (1 - sum w^2) with w normalised to sum 1. */
function reliabilityVariance(x: Float64Array, w: Float64Array, idx: number[]): number {
  let sw = 0;
  for (const i of idx) sw += w[i];
  const m = weightedMean(x, w, idx);
  let ss = 0;
  let sw2 = 0;
  for (const i of idx) {
    const wi = w[i] / sw;
    ss += wi * (x[i] - m) ** 2;
    sw2 += wi * wi;
  }
  return ss / (1 - sw2);
}

/** The SD at unit weights by the weighted formula above, so both arms' SDs round alike (cobalt's col_w_sd). */
function unitWeightSd(x: Float64Array, idx: number[]): number {
  const ones = new Float64Array(x.length).fill(1);
  return Math.sqrt(reliabilityVariance(x, ones, idx));
}

function binarySd(x: Float64Array, idx: number[]): number {
  let p = 0;
  for (const i of idx) p += x[i];
  p /= idx.length;
  return Math.sqrt(p * (1 - p));
}

function ecdfStats(x: Float64Array, w: Float64Array, treated: number[], control: number[]): [number, number] {
  const points = [...new Set(x)].sort((a, b) => a - b);
  const cdf = (idx: number[]) => {
    const pairs = idx.filter((i) => w[i] > 0).map((i) => [x[i], w[i]]).sort((a, b) => a[0] - b[0]);
    const total = pairs.reduce((s, p) => s + p[1], 0);
    const out = new Float64Array(points.length);
    let j = 0;
    let acc = 0;
    points.forEach((v, k) => {
      while (j < pairs.length && pairs[j][0] <= v) acc += pairs[j++][1];
      out[k] = acc / total;
    });
    return out;
  };
  const ft = cdf(treated);
  const fc = cdf(control);
  let sum = 0;
  let max = 0;
  for (let k = 0; k < points.length; k++) {
    const d = Math.abs(ft[k] - fc[k]);
    sum += d;
    if (d > max) max = d;
  }
  return [sum / points.length, max];
}

function ess(w: Float64Array, idx: number[]): number {
  let s = 0;
  let s2 = 0;
  for (const i of idx) { s += w[i]; s2 += w[i] * w[i]; }
  return s2 > 0 ? (s * s) / s2 : 0;
}

export function balanceTable(input: BalanceInput): BalanceTable {
  const { table, treat } = input;
  const n = table.n;
  const estimand = input.estimand ?? 'ATT';
  const w = input.weights ? Float64Array.from(input.weights) : new Float64Array(n).fill(1);
  const allTreated: number[] = [];
  const allControl: number[] = [];
  for (let i = 0; i < n; i++) (treat[i] === 1 ? allTreated : allControl).push(i);
  const treated = allTreated.filter((i) => w[i] > 0);
  const control = allControl.filter((i) => w[i] > 0);
  const variables = balanceVariables(table, input.covariates, input.distance);
  const smdDenominators: Record<string, number> = {};
  const rows = variables.map((v): BalanceRow => {
    const sd = (idx: number[]) => (v.binary ? binarySd(v.values, idx) : unitWeightSd(v.values, idx));
    const denominator = estimand === 'ATT' ? sd(allTreated) : estimand === 'ATC' ? sd(allControl) : Math.sqrt((sd(allTreated) ** 2 + sd(allControl) ** 2) / 2);
    smdDenominators[v.name] = denominator;
    const mt = weightedMean(v.values, w, treated);
    const mc = weightedMean(v.values, w, control);
    // MatchIt reports |difference in proportions| for both statistics of a binary row
    const [ecdfMean, ecdfMax] = v.binary ? [Math.abs(mt - mc), Math.abs(mt - mc)] : ecdfStats(v.values, w, treated, control);
    let stdPairDistance: number | null = null;
    if (input.subclass) {
      const sets = new Map<number, { t: number[]; c: number[] }>();
      for (let i = 0; i < n; i++) {
        const s = input.subclass[i];
        if (s < 0) continue;
        const set = sets.get(s) ?? { t: [], c: [] };
        (treat[i] === 1 ? set.t : set.c).push(i);
        sets.set(s, set);
      }
      let sum = 0;
      let count = 0;
      for (const { t, c } of sets.values()) for (const a of t) for (const b of c) { sum += Math.abs(v.values[a] - v.values[b]); count++; }
      stdPairDistance = count ? sum / count / denominator : null;
    }
    return {
      variable: v.name,
      label: v.label,
      binary: v.binary,
      meanTreated: mt,
      meanControl: mc,
      smd: denominator > 0 ? (mt - mc) / denominator : mt === mc ? 0 : NaN,
      varianceRatio: v.binary ? null : reliabilityVariance(v.values, w, treated) / reliabilityVariance(v.values, w, control),
      ecdfMean,
      ecdfMax,
      stdPairDistance,
    };
  });
  return { estimand, smdDenominators, rows, sampleSizes: { treated: treated.length, control: control.length, essTreated: ess(w, treated), essControl: ess(w, control) } };
}
