/**
 * The causal engine's entry, in the spirit of DoWhy (model -> identify -> estimate -> refute): describe
 * the question (data, treatment, outcome, confounders) with `causalQuestion`, estimate with a named
 * method (`estimateEffect`), and refute the estimate (`refuteEstimate`, refute.ts). Every result is a
 * plain, serialisable record with its diagnostics attached. Identification is by adjustment for the
 * named confounders (back-door criterion): the user states the confounders; the engine checks overlap
 * and balance and says when they fail.
 */
import { maxOf, minOf } from './extent.ts';
import { UserError, UsageError } from '../util/errors.ts';
import { balanceTable, type BalanceRow } from './balance.ts';
import { bootstrap, type BootstrapResult } from './bootstrap.ts';
import { designMatrix, numericVector, type DesignMatrix } from './design.ts';
import { twoSidedNormal } from './distributions.ts';
import { gComputation } from './gcomputation.ts';
import { fitLogistic } from './logistic.ts';
import { matchedEffect, pairRows } from './matchedEffect.ts';
import { nearestNeighbourMatch, type Discard, type MatchOrder } from './matching.ts';
import { fiveNumberSummary, type FiveNumberSummary } from './describe.ts';
import { stratify } from './stratification.ts';
import { getColumn, isNumeric, rowLabel, rowWhere, type Column, type DataTable } from './table.ts';
import { completeRows } from './completeRows.ts';
import type { VcovSpec } from './vcov.ts';
import { aipw, ipw } from './weighting.ts';
import { crumpTrim, type OverlapTrim } from './overlapTrim.ts';

export class DegenerateDataError extends UserError {
  constructor(message: string, hint: string) {
    super(message, { hint });
    this.name = 'DegenerateDataError';
  }
}

export interface CausalQuestion {
  table: DataTable;
  treatment: string;
  outcome: string;
  confounders: string[];
  treat: Float64Array;
  y: Float64Array;
  n: number;
  nTreated: number;
  nControl: number;
  /** What was done to the data before estimation (rows dropped under na: 'drop'); repeated in every estimate's warnings. */
  dataWarnings: string[];
}

export interface QuestionSpec {
  treatment: string;
  outcome: string;
  confounders: readonly string[];
  /** Rows with a missing or non-numeric value in a used column: an error naming them (default) or dropped (complete-case analysis). */
  na?: 'error' | 'drop';
  /** Further columns the estimator uses (a cluster id, exact-matching columns), completed with the others under na: 'drop'. */
  otherColumns?: readonly string[];
}

function binaryTreatment(table: DataTable, name: string): Float64Array {
  const column = getColumn(table, name);
  const hint = 'code the treated arm as 1 and the control arm as 0, or drop rows with a missing treatment (--na drop)';
  if (isNumeric(column)) {
    for (let i = 0; i < column.length; i++) {
      if (column[i] !== 0 && column[i] !== 1) {
        throw new UserError(`${rowWhere(table, i)}treatment '${name}' must be 0 or 1, this row has ${Number.isNaN(column[i]) ? 'a missing value' : column[i]}`, { hint });
      }
    }
    return column;
  }
  return Float64Array.from(column, (v, i) => {
    const s = v?.toLowerCase();
    if (s === 'true' || s === '1') return 1;
    if (s === 'false' || s === '0') return 0;
    throw new UserError(`${rowWhere(table, i)}treatment '${name}' must be 0/1 or true/false, this row has ${v === null ? 'a missing value' : `'${v}'`}`, { hint });
  });
}

/** A column that is numbers but for a few values cannot be used as it is: name the values and where they are. */
function refuseStrays(table: DataTable, name: string, role: string): void {
  const strays = table.strays?.get(name);
  if (!strays || strays.rows.length === 0) return;
  const shown = strays.rows.slice(0, 5).map((row, k) => `${rowLabel(table, row)} ${JSON.stringify(strays.values[k])}`).join(', ');
  const more = strays.rows.length > 5 ? ` and ${strays.rows.length - 5} more` : '';
  throw new UserError(`${table.source ? `${table.source}: ` : ''}the ${role} column '${name}' holds numbers but ${strays.rows.length} of its ${table.n} values are not: ${shown}${more}`, {
    hint: 'fix these values in the file (leave a missing value empty or NA), or drop the rows with them (--na drop)',
  });
}

/** Describe and validate a causal question. */
export function causalQuestion(data: DataTable, spec: QuestionSpec): CausalQuestion {
  const confounders = [...spec.confounders];
  for (const c of [spec.treatment, spec.outcome, ...confounders, ...(spec.otherColumns ?? [])]) getColumn(data, c);
  const dataWarnings: string[] = [];
  let table = data;
  if (spec.na === 'drop') {
    const complete = completeRows(data, [spec.treatment, spec.outcome, ...confounders, ...(spec.otherColumns ?? [])]);
    table = complete.table;
    if (complete.warning) dataWarnings.push(complete.warning);
    if (table.n === 0) throw new DegenerateDataError(`${data.source ? `${data.source}: ` : ''}every one of the ${data.n} rows has a missing or non-numeric value in a used column (${Object.entries(complete.byColumn).map(([c, k]) => `${c}: ${k}`).join(', ')})`, 'check the columns named');
  }
  refuseStrays(table, spec.treatment, 'treatment');
  refuseStrays(table, spec.outcome, 'outcome');
  for (const c of confounders) refuseStrays(table, c, 'confounder');
  if (confounders.includes(spec.treatment)) throw new UsageError(`the treatment '${spec.treatment}' cannot also be a confounder`);
  if (confounders.includes(spec.outcome)) throw new UsageError(`the outcome '${spec.outcome}' cannot also be a confounder`);
  if (spec.treatment === spec.outcome) throw new UsageError('the treatment and the outcome must be different columns');
  const treat = binaryTreatment(table, spec.treatment);
  const y = numericVector(table, spec.outcome);
  let nTreated = 0;
  for (const t of treat) nTreated += t;
  const nControl = table.n - nTreated;
  if (nTreated === 0 || nControl === 0) {
    throw new DegenerateDataError(`no ${nTreated === 0 ? 'treated' : 'control'} units: all ${table.n} units have ${spec.treatment} = ${nTreated === 0 ? 0 : 1}`, 'an effect needs units in both arms');
  }
  let constant = true;
  for (let i = 1; i < y.length && constant; i++) if (y[i] !== y[0]) constant = false;
  if (constant) throw new DegenerateDataError(`the outcome '${spec.outcome}' is constant (every value is ${y[0]}): there is no effect to estimate`, 'check the outcome column');
  return { table, treatment: spec.treatment, outcome: spec.outcome, confounders, treat, y, n: table.n, nTreated, nControl, dataWarnings };
}

export type Method = 'matching' | 'regression' | 'ipw' | 'aipw' | 'stratification';
export type EffectEstimand = 'ATE' | 'ATT' | 'ATC';

export interface EstimateOptions {
  method: Method;
  estimand?: EffectEstimand;
  level?: number;
  // matching
  ratio?: number;
  replace?: boolean;
  caliper?: number;
  order?: MatchOrder;
  exact?: string[];
  discard?: Discard;
  /** Match on the logit of the propensity score instead of the probability. */
  logitDistance?: boolean;
  /**
   * Matching: g-computation with the confounders after matching. Regression: treatment-confounder
   * interactions (default true, Lin 2013: the estimate stays consistent when the effect varies with
   * the confounders); false fits y ~ treat + X, which assumes one effect for every unit.
   */
  adjust?: boolean;
  /** Regression: the SE of the effect averaged over this sample's confounders (Lin 2013) rather than the population's. */
  sampleEffect?: boolean;
  /** Matching: the standard error; default by pair (without replacement) or by pair and unit (with replacement). */
  matchedSe?: 'pair' | 'pair-and-unit' | 'HC3';
  // regression
  vcov?: 'classical' | 'HC0' | 'HC1' | 'HC2' | 'HC3';
  /** A column whose values cluster the standard errors (regression). */
  cluster?: string;
  // weighting
  normalise?: boolean;
  stabilise?: boolean;
  /** Drop units with propensity outside [trim, 1 - trim] (ipw, aipw); 'crump': the optimal threshold of Crump et al. 2009 (aipw). */
  trim?: number | 'crump';
  // stratification
  strata?: number;
  /** Cut points at the quantiles of the focal group (MatchIt's rule, default) or of all units. */
  strataCuts?: 'focal' | 'all';
  // bootstrap
  bootstrap?: number;
  bootstrapInterval?: 'percentile' | 'bca';
  seed?: number;
}

/**
 * The matched sample, as MatchIt gives it: per unit (data row order) its distance, matching weight (0:
 * not matched) and pair (1.. in the order the focal units were matched; null: none, or matching with
 * replacement, where a unit can be in several pairs), and get_matches()'s rows: one per unit per pair,
 * a control weighted 1/k for its focal unit's k matches.
 */
export interface MatchedData {
  distance: number[];
  weights: number[];
  pair: (number | null)[];
  pairRows: { row: number; pair: number; weight: number }[];
}

export interface OverlapSummary {
  treated: FiveNumberSummary;
  control: FiveNumberSummary;
  /** Units whose score lies outside the other arm's range. */
  outsideCommonSupport: number;
}

export interface EffectEstimate {
  question: { treatment: string; outcome: string; confounders: string[]; data: string | null };
  method: Method;
  estimand: EffectEstimand;
  estimate: number;
  se: number;
  ci: [number, number];
  p: number;
  level: number;
  /** The population the estimate refers to when it is not the whole sample (after trimming). */
  population?: string;
  n: { total: number; treated: number; control: number; used: number; matchedTreated?: number; matchedControl?: number; dropped: number };
  inference: { se: string; interval: string; df: number | null };
  options: Record<string, unknown>;
  diagnostics: {
    warnings: string[];
    propensity?: { converged: boolean; iterations: number; coefficients: Record<string, number>; warnings: string[] };
    overlap?: OverlapSummary;
    balance?: { before: BalanceRow[]; after?: BalanceRow[]; maxAbsSmdBefore: number | null; maxAbsSmdAfter?: number | null };
    weights?: { essTreated: number; essControl: number; sumTreated: number; sumControl: number };
    strata?: { lower: number; upper: number; nTreated: number; nControl: number; effect: number | null }[];
    analytic?: { se: number; ci: [number, number]; p: number };
    bootstrap?: Omit<BootstrapResult, 'warnings'>;
  };
  /** Matching: the matched sample (match.data and get_matches); not in the CLI's --json (see --matched-data). */
  matched?: MatchedData;
}

function overlapSummary(ps: Float64Array, treat: Float64Array): OverlapSummary {
  const t: number[] = [];
  const c: number[] = [];
  ps.forEach((p, i) => (treat[i] === 1 ? t : c).push(p));
  const [tMin, tMax] = [minOf(t), maxOf(t)];
  const [cMin, cMax] = [minOf(c), maxOf(c)];
  let outside = 0;
  ps.forEach((p, i) => {
    if (treat[i] === 1 ? p < cMin || p > cMax : p < tMin || p > tMax) outside++;
  });
  return { treated: fiveNumberSummary(t), control: fiveNumberSummary(c), outsideCommonSupport: outside };
}

/** The propensity model: logistic regression of the treatment on the confounders. */
export function propensityScores(q: CausalQuestion): { ps: Float64Array; fit: ReturnType<typeof fitLogistic>; design: DesignMatrix } {
  const design = designMatrix(q.table, q.confounders);
  const fit = fitLogistic(design, q.treat);
  return { ps: fit.fitted, fit, design };
}

const DEFAULT_ESTIMAND: Record<Method, EffectEstimand> = { matching: 'ATT', regression: 'ATE', ipw: 'ATE', aipw: 'ATE', stratification: 'ATE' };

/**
 * Estimate the effect with one method, without the bootstrap. `lean` skips the diagnostics (balance
 * tables, overlap), for re-estimation inside the bootstrap and the refuters, where only the estimate is used.
 */
function estimateOnce(q: CausalQuestion, options: EstimateOptions, lean = false): EffectEstimate {
  const method = options.method;
  const estimand = options.estimand ?? DEFAULT_ESTIMAND[method];
  const level = options.level ?? 0.95;
  const warnings: string[] = [...(q.dataWarnings ?? [])];
  if (q.confounders.length === 0) warnings.push('no confounders: the estimate is the unadjusted difference between the arms, causal only if the treatment was randomised');
  const base = {
    question: { treatment: q.treatment, outcome: q.outcome, confounders: q.confounders, data: q.table.source ?? null },
    method, estimand, level,
  };
  if (method === 'regression') {
    const design = designMatrix(q.table, q.confounders, { intercept: false });
    const vcovName = options.cluster ? 'cluster' : options.vcov ?? 'HC3';
    const spec: VcovSpec = options.cluster ? { type: 'cluster', cluster: clusterIds(getColumn(q.table, options.cluster)) } : { type: options.vcov ?? 'HC3' };
    // the interactions need each arm's slopes: with no more units in an arm than coefficients per arm, a
    // default (not asked for) interaction model falls back to one effect, and says so
    const perArm = design.names.filter((nm) => nm !== '(Intercept)').length + 1;
    const thinArm = Math.min(q.nTreated, q.nControl) <= perArm;
    const interactions = options.adjust ?? !thinArm;
    if (options.adjust === undefined && thinArm && q.confounders.length > 0) warnings.push(`too few units in the smaller arm (${Math.min(q.nTreated, q.nControl)}) to fit its own slopes on ${perArm - 1} confounder terms: the model assumes a constant effect (y ~ treat + confounders)`);
    const population = interactions && !options.sampleEffect;
    const r = gComputation({ y: q.y, treat: q.treat, covariates: design, target: estimand, interactions, population, vcov: spec, level });
    warnings.push(...r.fit.warnings);
    if (!interactions && q.confounders.length > 0 && !(options.adjust === undefined && thinArm)) warnings.push(`the outcome model has no treatment-confounder interactions: the estimate is the ${estimand} only if the effect is the same for every unit (the default model, with interactions, Lin 2013, does not assume this)`);
    return {
      ...base,
      estimate: r.test.estimate, se: r.test.se, ci: r.test.ciT, p: r.test.pT,
      n: { total: q.n, treated: q.nTreated, control: q.nControl, used: q.n, dropped: 0 },
      inference: { se: `${vcovName === 'cluster' ? `cluster-robust by ${options.cluster} (vcovCL: HC1, G/(G-1))` : vcovName}${population ? `, plus the sampling variance of the confounder means (the ${estimand} of the population the data was drawn from)` : interactions && q.confounders.length > 0 ? ' (Lin 2013: the average effect at this sample\'s confounders)' : ''}`, interval: 't', df: r.test.df },
      options: { vcov: vcovName, population, cluster: options.cluster ?? null, interactions, outcomeModel: interactions ? 'y ~ treat * confounders: g-computation with treatment-confounder interactions (Lin 2013), consistent when the effect varies' : 'y ~ treat + confounders: assumes a constant effect' },
      diagnostics: { warnings: dedupe(warnings) },
    };
  }
  const { ps, fit } = propensityScores(q);
  warnings.push(...fit.warnings);
  const propensity = { converged: fit.converged, iterations: fit.iterations, coefficients: Object.fromEntries(fit.names.map((nm, j) => [nm, fit.coefficients[j]])), warnings: fit.warnings };
  const overlap = lean ? undefined : overlapSummary(ps, q.treat);
  if (overlap && overlap.outsideCommonSupport > 0.1 * q.n) warnings.push(`poor overlap: ${overlap.outsideCommonSupport} of ${q.n} units have propensity scores outside the other arm's range`);
  const balanceEstimand = estimand === 'ATC' ? 'ATC' : estimand === 'ATE' ? 'ATE' : 'ATT';
  const before = lean ? { rows: [] as BalanceRow[] } : balanceTable({ table: q.table, covariates: q.confounders, treat: q.treat, distance: ps, estimand: balanceEstimand });
  const after = (weights: Float64Array, subclass?: Int32Array) => (lean ? { rows: [] as BalanceRow[] } : balanceTable({ table: q.table, covariates: q.confounders, treat: q.treat, distance: ps, weights, subclass, estimand: balanceEstimand }));
  // null, not -Infinity, when there are no confounders to balance
  const maxAbs = (rows: BalanceRow[]): number | null => {
    const smds = rows.filter((r) => r.variable !== 'distance').map((r) => Math.abs(r.smd));
    return smds.length > 0 ? maxOf(smds) : null;
  };
  if (method === 'matching') {
    if (estimand === 'ATE') throw new UsageError('nearest-neighbour matching estimates the ATT or the ATC', 'use --estimand ATT or ATC, or --method ipw/aipw/regression for the ATE');
    const distance = options.logitDistance ? ps.map((p) => Math.log(p / (1 - p))) : ps;
    const exact = options.exact?.length ? exactKeys(q.table, options.exact) : undefined;
    const m = nearestNeighbourMatch(distance, q.treat, { estimand, ratio: options.ratio, replace: options.replace, caliper: options.caliper, order: options.order, seed: options.seed, exact, discard: options.discard });
    warnings.push(...m.warnings);
    const adjustDesign = options.adjust ? designMatrix(q.table, q.confounders, { intercept: false }) : undefined;
    const effect = matchedEffect(q.y, q.treat, m, { covariates: adjustDesign, level, se: options.matchedSe });
    warnings.push(...effect.warnings);
    const balanced = after(m.weights, m.options.replace ? undefined : m.subclass);
    const maxAfter = maxAbs(balanced.rows);
    if (maxAfter !== null && maxAfter > 0.1) warnings.push(`imbalance after matching: a confounder's standardised mean difference is ${maxAfter.toFixed(2)} (above 0.1); consider a caliper, ratio or --adjust`);
    const matched = lean ? undefined : matchedData(m, distance);
    const treatedMatched = estimand === 'ATT' ? m.counts.focalMatched : m.counts.matchedOther;
    const controlMatched = estimand === 'ATT' ? m.counts.matchedOther : m.counts.focalMatched;
    return {
      ...base,
      estimate: effect.test.estimate, se: effect.test.se, ci: effect.test.ciT, p: effect.test.pT,
      n: { total: q.n, treated: q.nTreated, control: q.nControl, used: m.counts.matchedRows, matchedTreated: treatedMatched, matchedControl: controlMatched, dropped: m.unmatchedFocal.length + m.discarded.length },
      inference: { se: effect.vcov, interval: 't', df: effect.test.df },
      options: { ratio: m.options.ratio, replace: m.options.replace, caliper: m.options.caliper, caliperDistance: m.caliperDistance, order: m.options.order, exact: options.exact ?? [], discard: m.options.discard, distance: options.logitDistance ? 'logit' : 'probability', adjust: Boolean(options.adjust), se: options.matchedSe ?? (m.options.replace ? 'pair-and-unit' : 'pair') },
      diagnostics: { warnings: dedupe(warnings), propensity, overlap, balance: lean ? undefined : { before: before.rows, after: balanced.rows, maxAbsSmdBefore: maxAbs(before.rows), maxAbsSmdAfter: maxAfter } },
      ...(matched ? { matched } : {}),
    };
  }
  if (method === 'ipw') {
    if (estimand === 'ATC') throw new UsageError('IPW here estimates the ATE or the ATT');
    const r = ipw(q.y, q.treat, ps, { estimand, normalise: options.normalise, stabilise: options.stabilise, trim: options.trim === 'crump' ? crumpTrim(ps).alpha || undefined : options.trim, level });
    warnings.push(...r.warnings);
    const weighted = after(r.weights);
    return {
      ...base,
      estimate: r.estimate, se: r.test.se, ci: r.test.ciT, p: r.test.pT,
      n: { total: q.n, treated: q.nTreated, control: q.nControl, used: r.nUsed, dropped: r.trimmed },
      inference: { se: r.estimator === 'hajek' ? 'HC1 sandwich of the weighted regression (ignores propensity estimation: conservative for the ATE)' : "the Horvitz-Thompson estimator's own, from its influence function (propensity taken as known)", interval: 't', df: r.test.df },
      options: { estimator: r.estimator, stabilise: Boolean(options.stabilise), trim: options.trim ?? null },
      diagnostics: { warnings: dedupe(warnings), propensity, overlap, balance: lean ? undefined : { before: before.rows, after: weighted.rows, maxAbsSmdBefore: maxAbs(before.rows), maxAbsSmdAfter: maxAbs(weighted.rows) }, weights: { essTreated: r.ess.treated, essControl: r.ess.control, sumTreated: r.weightSums.treated, sumControl: r.weightSums.control } },
    };
  }
  if (method === 'aipw') {
    if (estimand !== 'ATE') throw new UsageError('AIPW here estimates the ATE', 'use --estimand ATE, or --method matching/ipw for the ATT');
    // trimming changes the estimand: the ATE of the units kept (Crump et al. 2009)
    const trim = options.trim === 'crump' ? crumpTrim(ps) : options.trim !== undefined ? fixedTrim(ps, options.trim) : undefined;
    const rows = trim && trim.trimmed > 0 ? trim.kept : undefined;
    if (rows) {
      const keptTreated = rows.filter((i) => q.treat[i] === 1).length;
      if (keptTreated < 2 || rows.length - keptTreated < 2) throw new DegenerateDataError(`after trimming to propensity in [${trim!.alpha.toFixed(3)}, ${(1 - trim!.alpha).toFixed(3)}], ${keptTreated} treated and ${rows.length - keptTreated} control units remain`, 'the arms do not overlap: no ATE can be estimated on this data');
      warnings.push(`${trim!.trimmed} of ${q.n} units with propensity outside [${trim!.alpha.toFixed(3)}, ${(1 - trim!.alpha).toFixed(3)}] were trimmed (${options.trim === 'crump' ? 'Crump et al. 2009 optimal rule' : 'fixed threshold'}): the estimate is the ATE of the units kept`);
    }
    const r = aipw(q.y, q.treat, ps, designMatrix(q.table, q.confounders), level, rows);
    warnings.push(...r.warnings);
    return {
      ...base,
      estimate: r.estimate, se: r.se, ci: r.ci, p: r.p,
      n: { total: q.n, treated: q.nTreated, control: q.nControl, used: rows?.length ?? q.n, dropped: trim?.trimmed ?? 0 },
      inference: { se: 'influence function, sd(phi)/sqrt(n)', interval: 'normal', df: null },
      options: { outcomeModel: 'OLS per arm on the confounders', trim: trim ? { rule: options.trim === 'crump' ? 'crump' : 'fixed', alpha: trim.alpha, trimmed: trim.trimmed } : null },
      population: rows ? `units with propensity in [${trim!.alpha.toFixed(3)}, ${(1 - trim!.alpha).toFixed(3)}] (${rows.length} of ${q.n})` : undefined,
      diagnostics: { warnings: dedupe(warnings), propensity, overlap, balance: lean ? undefined : { before: before.rows, maxAbsSmdBefore: maxAbs(before.rows) } },
    };
  }
  if (method === 'stratification') {
    const r = stratify(q.y, q.treat, ps, { strata: options.strata, estimand, level, cuts: options.strataCuts });
    warnings.push(...r.warnings);
    return {
      ...base,
      estimate: r.estimate, se: r.se, ci: r.ci, p: r.p,
      n: { total: q.n, treated: q.nTreated, control: q.nControl, used: q.n - r.droppedUnits, dropped: r.droppedUnits },
      inference: { se: 'stratified difference in means', interval: 'normal', df: null },
      options: { strata: options.strata ?? 5, cuts: r.cutRule, cutPoints: r.cuts },
      diagnostics: { warnings: dedupe(warnings), propensity, overlap, balance: lean ? undefined : { before: before.rows, maxAbsSmdBefore: maxAbs(before.rows) }, strata: r.strata },
    };
  }
  throw new UsageError(`unknown method '${String(method)}'`, 'use matching, regression, ipw, aipw or stratification');
}

/** The matched sample of a match (only for full estimates: the bootstrap and the refuters skip it). */
function matchedData(m: ReturnType<typeof nearestNeighbourMatch>, distance: Float64Array): MatchedData {
  const rows = pairRows(m);
  // each pair is numbered by its focal unit, the first of its rows
  const pairOfFocal = new Map<number, number>();
  rows.unit.forEach((u, r) => { if (r === 0 || rows.pair[r] !== rows.pair[r - 1]) pairOfFocal.set(u, rows.pair[r] + 1); });
  return {
    distance: Array.from(distance),
    weights: Array.from(m.weights),
    pair: Array.from(m.subclass, (f) => (f < 0 ? null : pairOfFocal.get(f) ?? null)),
    pairRows: Array.from(rows.unit, (u, r) => ({ row: u, pair: rows.pair[r] + 1, weight: rows.weight[r] })),
  };
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

function clusterIds(column: Column): (number | string)[] {
  return Array.from(column as ArrayLike<number | string | null>, (v, i) => {
    if (v === null || (typeof v === 'number' && Number.isNaN(v))) throw new UserError(`missing cluster id at data row ${i + 1}`, { hint: 'give every row a cluster id, or drop the rows without one (--na drop)' });
    return v;
  });
}

function exactKeys(table: DataTable, columns: string[]): string[] {
  const cols = columns.map((c) => getColumn(table, c));
  return Array.from({ length: table.n }, (_, i) => cols.map((c) => String(c[i])).join('\u0000'));
}

/**
 * The matched sample as CSV (RFC 4180), with every column of the data. Without replacement MatchIt's
 * match.data(): one line per matched unit: `row` (its 1-based row in the data file as read, before any
 * rows were dropped), the data's columns, then `distance`, `weights` and `subclass` (the pair). With
 * replacement get_matches(): one line per unit per pair, in pair order, the same columns, `weights`
 * being the row's (1 for the focal unit, 1/k for each of its k matches).
 */
export function matchedDataCsv(q: CausalQuestion, estimate: EffectEstimate): string {
  const data = estimate.matched;
  if (!data) throw new UsageError('matched data exists only for --method matching');
  const field = (v: string) => (/[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v);
  const reserved = new Set(['row', 'distance', 'weights', 'subclass']);
  const names = q.table.names.filter((nm) => !reserved.has(nm));
  const clash = q.table.names.filter((nm) => reserved.has(nm));
  if (clash.length) throw new UsageError(`the data has a column named ${clash.map((c) => `'${c}'`).join(', ')}, which the matched data adds`, 'rename that column in the data');
  const columns = names.map((nm) => q.table.columns.get(nm)!);
  // String(number) is the shortest text that reads back as the same double
  const cells = (i: number) => columns.map((c) => { const v = c[i]; return v === null || (typeof v === 'number' && Number.isNaN(v)) ? '' : typeof v === 'number' ? String(v) : field(v); });
  const dataRow = (i: number) => (q.table.dataRows?.[i] ?? i) + 1;
  const lines = [['row', ...names.map(field), 'distance', 'weights', 'subclass'].join(',')];
  if (estimate.options.replace) {
    for (const r of data.pairRows) lines.push([dataRow(r.row), ...cells(r.row), String(data.distance[r.row]), String(r.weight), r.pair].join(','));
  } else {
    data.weights.forEach((w, i) => {
      if (w > 0) lines.push([dataRow(i), ...cells(i), String(data.distance[i]), String(w), data.pair[i] ?? ''].join(','));
    });
  }
  return `${lines.join('\n')}\n`;
}

/** A question on a subset of rows (duplicates allowed, as in a bootstrap resample). */
export function subsetQuestion(q: CausalQuestion, rows: ArrayLike<number>): CausalQuestion {
  const columns = new Map<string, Column>();
  for (const [name, column] of q.table.columns) {
    columns.set(name, isNumeric(column) ? Float64Array.from(rows, (i) => column[i]) : Array.from(rows, (i) => column[i]));
  }
  const table: DataTable = { n: rows.length, names: q.table.names, columns, source: q.table.source };
  return causalQuestion(table, q);
}

/** The bootstrap statistic of an estimation: the whole pipeline re-run on the resampled rows. */
export function effectStatistic(q: CausalQuestion, options: EstimateOptions): (rows: Int32Array) => number {
  return (rows) => estimateOnce(subsetQuestion(q, rows), { ...options, bootstrap: undefined }, true).estimate;
}

export function bootstrapClusters(q: CausalQuestion, options: EstimateOptions): (number | string)[] | undefined {
  return options.cluster ? clusterIds(getColumn(q.table, options.cluster)) : undefined;
}

/** Put a bootstrap's SE and interval on an estimate (the analytic ones move to diagnostics). */
export function withBootstrap(result: EffectEstimate, boot: BootstrapResult): EffectEstimate {
  const { warnings, ...bootDetails } = boot;
  result.diagnostics.analytic = { se: result.se, ci: result.ci, p: result.p };
  result.diagnostics.bootstrap = bootDetails;
  result.diagnostics.warnings.push(...warnings);
  result.se = boot.se;
  result.ci = boot.ci;
  result.p = twoSidedNormal(result.estimate / boot.se);
  result.inference = { se: `bootstrap (${boot.replicates} replicates, ${boot.resampling})`, interval: `bootstrap ${boot.interval}`, df: null };
  return result;
}

/**
 * Estimate an effect; with `bootstrap: B`, the whole pipeline (propensity model included) is
 * resampled B times on this thread (see bootstrapParallel.ts for worker threads).
 */
export function estimateEffect(q: CausalQuestion, options: EstimateOptions, lean = false): EffectEstimate {
  const result = estimateOnce(q, options, lean);
  if (!options.bootstrap) return result;
  const boot = bootstrap(q.n, effectStatistic(q, options), { replicates: options.bootstrap, seed: options.seed ?? 0, level: result.level, interval: options.bootstrapInterval, cluster: bootstrapClusters(q, options) });
  return withBootstrap(result, boot);
}

function fixedTrim(ps: Float64Array, alpha: number): OverlapTrim {
  if (!(alpha > 0 && alpha < 0.5)) throw new UsageError(`--trim must lie in (0, 0.5), got ${alpha}`, 'e.g. --trim 0.05, or --trim crump for the optimal threshold');
  const kept: number[] = [];
  for (let i = 0; i < ps.length; i++) if (ps[i] >= alpha && ps[i] <= 1 - alpha) kept.push(i);
  return { alpha, kept, trimmed: ps.length - kept.length };
}
