/**
 * The numbers of a report, from a scores database (score/store.ts) and the causal engine:
 * - syntax decomposition: per concept, the mean over snippets of the concept's mean log-prob on the
 *   control arms (the original code), with a seeded percentile bootstrap CI over snippets; and per
 *   AST leaf type from the token table;
 * - paired interventions: per concept, the paired difference treated - control of the snippet's mean
 *   log-prob on that concept (the intervention is randomised within each pair, so the difference is
 *   its causal effect); paired t CI, Wilcoxon signed-rank p, Cliff's delta; Benjamini-Hochberg q over
 *   every concept and testbed tested;
 * - observational treatments: per concept, the effect of the property on the concept's mean log-prob
 *   by nearest-neighbour matching (ATT), regression adjustment and AIPW (ATE), adjusting for the
 *   covariates (those the treatment itself determines left out) plus the model-token count and the
 *   language; balance and propensity overlap for the overall outcome; a placebo refutation.
 */
import { bootstrapMean } from '../stats/bootstrapMean.ts';
import { covariatesFromJson, covariatesJsonSql, ScoresReader } from '../score/store.ts';
import { cliffsDelta } from '../stats/effectSizes.ts';
import { causalQuestion, estimateEffect, propensityScores, type EffectEstimate } from '../stats/effect.ts';
import { mean } from '../stats/mean.ts';
import { spearman } from '../stats/correlation.ts';
import { jensenShannonDistance } from '../stats/jensenShannon.ts';
import { describe } from '../stats/describe.ts';
import { adjustmentCovariates, withDerivedCovariates } from '../testbeds/treatments.ts';
import { classifyTokens, editSites, editsFromMeta, type TextEdit } from '../testbeds/edits.ts';
import { readTestbedRows } from '../testbeds/read.ts';
import { pAdjust } from '../stats/padjust.ts';
import { refuteEstimate, type Refutation } from '../stats/refute.ts';
import { tableFromColumns } from '../stats/table.ts';
import { pairedTTest } from '../stats/ttest.ts';
import { signedRankTest } from '../stats/wilcoxon.ts';
import type { TestbedManifest } from '../testbeds/build.ts';
import { conceptProfile, type ConceptPerformance } from './profile.ts';

export type { ConceptPerformance } from './profile.ts';

export interface GalleryPick { language: string; concept: string; kind: 'hardest' | 'easiest'; testbed: string; runId: string; rowId: string; meanLogprob: number; tokens: number }

export interface CovariateSummary { covariate: string; n: number; mean: number; sd: number; min: number; median: number; max: number }

/** Spearman's rho between a covariate and the snippet's mean log-prob, with a Fisher-z CI; q: BH over covariates. */
export interface CovariateCorrelation { covariate: string; n: number; rho: number; ci: [number, number]; p: number; q: number }

/** Per language and AST leaf type (the 15 with most tokens per language): mean over snippets of the snippet's mean log-prob on the type's tokens. */
export interface NodeTypePerformance { language: string; nodeType: string; snippets: number; tokens: number; meanLogprob: number; ci: [number, number]; meanProb: number }

export interface PairedEffect {
  testbed: string;
  intervention: string;
  concept: string;
  pairs: number;
  control: number;
  treated: number;
  estimate: number;
  ci: [number, number];
  p: number;
  pWilcoxon: number;
  q: number;
  cliffsDelta: number;
  /** Jensen-Shannon distance (base 2) between the per-token probability histograms (20 bins) of the two arms. */
  /** null for outcomes without a token histogram (the located outcomes) or with an empty arm. */
  jsDistance: number | null;
}

export interface ObservationalEffect {
  testbed: string;
  treatment: string;
  concept: string;
  n: number;
  treated: number;
  /**
   * `population`: the units the estimate refers to when not all (AIPW after trimming); `withheld`:
   * why an estimate is not a finding (overlap still fails after trimming); it is shown greyed.
   */
  estimates: { method: string; estimand: string; estimate: number; se: number; ci: [number, number]; p: number; warnings: string[]; population?: string; withheld?: string }[];
  q: number;
}

export interface ModelAnalysis {
  model: string;
  runIds: Record<string, string>;
  decomposition: ConceptPerformance[];
  covariates: CovariateSummary[];
  correlations: CovariateCorrelation[];
  nodeTypes: NodeTypePerformance[];
  paired: PairedEffect[];
  observational: ObservationalEffect[];
  balance: { testbed: string; rows: { variable: string; before: number; after: number }[]; overlap: { arm: string; ps: number[] }[] } | null;
  refutations: (Refutation & { testbed: string })[];
  /** The control snippets with the lowest mean log-prob (at least 20 scored tokens). */
  hardest: { testbed: string; rowId: string; meanLogprob: number }[];
  /** Per language and concept, the original functions with the lowest and the highest mean log-prob on it (at least 5 of its tokens). */
  gallery: GalleryPick[];
  /** Effects the data could not support, with the reason, so that the report says so rather than leaving them out in silence. */
  omitted: { testbed: string; concept: string; reason: string }[];
}


/** The fewest complete pairs for a paired test, and the fewest snippets per arm for an adjusted estimate. */
export const MIN_PAIRS = 5;
export const MIN_ARM = 10;

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

export interface AnalyzeInput {
  db: string;
  model: string;
  runs: { testbed: string; runId: string; manifest: TestbedManifest; dir: string }[];
  seed: number;
  bootstrapReplicates: number;
  /** Matching caliper in propensity-score SDs (default 0.2). */
  caliper?: number;
  /** The rows of original code, each function once (testbeds/read.ts originalSnippets). */
  originals: Map<string, Map<string, string>>;
  /** Only functions of these languages (the originals should be restricted the same way). */
  languages?: string[];
  /** Only these concepts (besides '(all tokens)' and the located outcomes). */
  concepts?: string[];
}

export async function analyzeModel(input: AnalyzeInput): Promise<ModelAnalysis> {
  const reader = await ScoresReader.open(input.db);
  try {
    return await analyzeWith(reader, input);
  } finally {
    reader.close();
  }
}

async function analyzeWith(reader: ScoresReader, input: AnalyzeInput): Promise<ModelAnalysis> {
  const { runs, seed } = input;
  // --lang: only functions of these languages, in every section
  const inLanguages = (alias: string) => (input.languages?.length ? ` AND ${alias}language IN (${input.languages.map(quote).join(', ')})` : '');
  const runList = runs.map((r) => quote(r.runId)).join(', ');
  const testbedOf = new Map(runs.map((r) => [r.runId, r.testbed]));
  /** The function key of an original-code row, undefined for edited rows and for copies already counted. */
  const originalKey = (runId: unknown, rowId: unknown) => input.originals.get(testbedOf.get(String(runId)) ?? '')?.get(String(rowId));
  // concept profile over the original code, each function once, per language
  const conceptRows = await reader.rows(`SELECT c.run_id, c.row_id, s.language, c.concept, c.mean_logprob, c.mean_prob, c.top1_accuracy, c.scored FROM snippet_concepts c JOIN snippets s USING (run_id, row_id) WHERE c.run_id IN (${runList}) AND c.scored > 0 ORDER BY c.concept, c.run_id, c.row_id`);
  const decomposition = conceptProfile(conceptRows.filter((r) => originalKey(r.run_id, r.row_id) !== undefined).map((r) => ({
    language: String(r.language), concept: String(r.concept), meanLogprob: Number(r.mean_logprob), meanProb: Number(r.mean_prob),
    top1: r.top1_accuracy === null ? null : Number(r.top1_accuracy), tokens: Number(r.scored),
  })), { replicates: input.bootstrapReplicates, seed });
  const gallery = galleryPicks(conceptRows.filter((r) => originalKey(r.run_id, r.row_id) !== undefined && Number(r.scored) >= 5).map((r) => ({
    language: String(r.language), concept: String(r.concept), testbed: testbedOf.get(String(r.run_id))!, runId: String(r.run_id), rowId: String(r.row_id), meanLogprob: Number(r.mean_logprob), tokens: Number(r.scored),
  })));
  // per AST leaf type and language: function means, bootstrap CI over functions, as for concepts
  // aggregated in DuckDB per function and leaf type, streamed: only the per-function means are kept
  const nodeRows = reader.streamRows(`SELECT run_id, language, leaf, row_id, count(*) AS tokens, avg(logprob) AS lp, avg(exp(logprob)) AS p FROM (
      SELECT t.run_id, s.language, t.row_id, unnest(t.leaf_types) AS leaf, t.logprob FROM tokens t JOIN snippets s USING (run_id, row_id)
      WHERE t.run_id IN (${runList}) AND t.logprob IS NOT NULL)
    GROUP BY run_id, language, leaf, row_id ORDER BY language, leaf, run_id, row_id`);
  const byNode = new Map<string, { language: string; nodeType: string; lp: number[]; p: number[]; tokens: number }>();
  for await (const r of nodeRows) {
    if (originalKey(r.run_id, r.row_id) === undefined) continue;
    const key = `${String(r.language)}\u0000${String(r.leaf)}`;
    const e = byNode.get(key) ?? { language: String(r.language), nodeType: String(r.leaf), lp: [], p: [], tokens: 0 };
    e.lp.push(Number(r.lp));
    e.p.push(Number(r.p));
    e.tokens += Number(r.tokens);
    byNode.set(key, e);
  }
  const nodeTypes: NodeTypePerformance[] = [];
  for (const language of [...new Set([...byNode.values()].map((e) => e.language))].sort()) {
    const top = [...byNode.values()].filter((e) => e.language === language && e.lp.length >= 3).sort((a, b) => b.tokens - a.tokens).slice(0, 15);
    for (const e of top) {
      const boot = bootstrapMean(e.lp, { replicates: input.bootstrapReplicates, seed });
      nodeTypes.push({ language, nodeType: e.nodeType, snippets: e.lp.length, tokens: e.tokens, meanLogprob: mean(e.lp), ci: boot.ci, meanProb: mean(e.p) });
    }
  }

  // covariates of the original code, each function once
  // streamed: only the numbers are kept, not a row object per snippet
  const snippetRows = reader.streamRows<{ run_id: string; row_id: string; scored: number; mean_logprob: number; covariates: string }>(`SELECT run_id, row_id, scored, mean_logprob, ${covariatesJsonSql('snippets')} AS covariates FROM snippets WHERE run_id IN (${runList}) AND scored > 0 ORDER BY run_id, row_id`);
  const covariateValues = new Map<string, number[]>();
  const outcome: number[] = [];
  const candidates: { testbed: string; rowId: string; meanLogprob: number }[] = [];
  for await (const r of snippetRows) {
    if (originalKey(r.run_id, r.row_id) === undefined) continue;
    const c = covariatesFromJson(r.covariates);
    outcome.push(Number(r.mean_logprob));
    for (const [name, v] of Object.entries(c)) {
      if (!covariateValues.has(name)) covariateValues.set(name, []);
      covariateValues.get(name)!.push(Number(v));
    }
    if (Number(r.scored) >= 20) candidates.push({ testbed: testbedOf.get(String(r.run_id))!, rowId: String(r.row_id), meanLogprob: Number(r.mean_logprob) });
  }
  const covariates: CovariateSummary[] = [];
  const correlations: CovariateCorrelation[] = [];
  for (const [name, values] of covariateValues) {
    if (values.length !== outcome.length) continue; // a covariate some snippets lack
    const summary = describe(values);
    covariates.push({ covariate: name, n: values.length, ...summary });
    if (values.length >= 10 && summary.min !== summary.max) {
      const r = spearman(values, outcome);
      correlations.push({ covariate: name, n: values.length, rho: r.estimate, ci: r.ci ?? [NaN, NaN], p: r.p, q: NaN });
    }
  }
  if (correlations.length) pAdjust(correlations.map((c) => c.p), 'BH').forEach((q, i) => (correlations[i].q = q));
  const hardest = candidates.sort((a, b) => a.meanLogprob - b.meanLogprob || (a.rowId < b.rowId ? -1 : 1)).slice(0, 20);

  const paired: PairedEffect[] = [];
  const observational: ObservationalEffect[] = [];
  let balance: ModelAnalysis['balance'] = null;
  const refutations: ModelAnalysis['refutations'] = [];
  const omitted: ModelAnalysis['omitted'] = [];
  for (const run of runs) {
    const m = run.manifest;
    if (m.design === 'paired') {
      const rows = await reader.rows(`SELECT s.pair_id, s.arm, c.concept, c.mean_logprob FROM snippet_concepts c JOIN snippets s USING (run_id, row_id) WHERE c.run_id = ${quote(run.runId)} AND c.scored > 0${inLanguages('s.')}
        UNION ALL SELECT pair_id, arm, '(all tokens)' AS concept, mean_logprob FROM snippets WHERE run_id = ${quote(run.runId)} AND scored > 0${inLanguages('')}
        ORDER BY pair_id, arm, concept`);
      const byPair = new Map<string, Map<string, { control?: number; treated?: number }>>();
      for (const r of rows) {
        const c = String(r.concept);
        const pairs = byPair.get(c) ?? new Map();
        const entry = pairs.get(String(r.pair_id)) ?? {};
        entry[r.arm as 'control' | 'treated'] = Number(r.mean_logprob);
        pairs.set(String(r.pair_id), entry);
        byPair.set(c, pairs);
      }
      await addEditRegions(reader, run, byPair, inLanguages('s.'));
      if (!byPair.has('(all tokens)')) byPair.set('(all tokens)', new Map());
      const bins = 20;
      const histogramRows = await reader.rows(`WITH t AS (SELECT s.arm, t.concepts, least(${bins - 1}, CAST(floor(exp(t.logprob) * ${bins}) AS INTEGER)) AS bin FROM tokens t JOIN snippets s USING (run_id, row_id) WHERE t.run_id = ${quote(run.runId)} AND t.logprob IS NOT NULL${inLanguages('s.')})
        SELECT concept, arm, bin, count(*) AS n FROM (SELECT unnest(concepts) AS concept, arm, bin FROM t UNION ALL SELECT '(all tokens)' AS concept, arm, bin FROM t) GROUP BY concept, arm, bin`);
      const histograms = new Map<string, { control: number[]; treated: number[] }>();
      for (const r of histogramRows) {
        const h = histograms.get(String(r.concept)) ?? { control: new Array<number>(bins).fill(0), treated: new Array<number>(bins).fill(0) };
        h[r.arm as 'control' | 'treated'][Number(r.bin)] += Number(r.n);
        histograms.set(String(r.concept), h);
      }
      for (const [concept, pairs] of [...byPair].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const complete = [...pairs.values()].filter((e) => e.control !== undefined && e.treated !== undefined) as { control: number; treated: number }[];
        if (complete.length < MIN_PAIRS) {
          omitted.push({ testbed: m.name, concept, reason: `${complete.length} complete pair${complete.length === 1 ? '' : 's'}, a paired test needs ${MIN_PAIRS}` });
          continue;
        }
        const t = complete.map((e) => e.treated);
        const c = complete.map((e) => e.control);
        const diffs = complete.map((e) => e.treated - e.control);
        if (diffs.every((d) => d === diffs[0])) {
          omitted.push({ testbed: m.name, concept, reason: `every pair differs by the same ${diffs[0].toPrecision(3)}: no variation to test` });
          continue;
        }
        const tt = pairedTTest(t, c);
        paired.push({
          testbed: m.name, intervention: m.treatment.name, concept, pairs: complete.length, control: mean(c), treated: mean(t),
          estimate: tt.estimate, ci: tt.ci, p: tt.p, pWilcoxon: signedRankTest(t, c).p, q: NaN, cliffsDelta: cliffsDelta(t, c),
          jsDistance: histogramDistance(histograms.get(concept)),
        });
      }
    } else {
      const snippets = await reader.rows(`SELECT row_id, arm, language, mean_logprob, ${covariatesJsonSql('snippets')} AS covariates FROM snippets WHERE run_id = ${quote(run.runId)} AND scored > 0${inLanguages('')} ORDER BY row_id`);
      const concepts = await reader.rows(`SELECT row_id, concept, mean_logprob FROM snippet_concepts WHERE run_id = ${quote(run.runId)} AND scored > 0 ORDER BY row_id, concept`);
      // parsed once per snippet, not once per concept
      const info = new Map(snippets.map((s) => [String(s.row_id), { arm: String(s.arm), language: String(s.language), covariates: withDerivedCovariates(covariatesFromJson(s.covariates)) }]));
      const covariateNames = adjustmentCovariates(m.treatment.name, m.treatment.excludedCovariates ?? [], Object.keys(covariatesFromJson(snippets[0]?.covariates ?? '{}')));
      const outcomes = new Map<string, Map<string, number>>([['(all tokens)', new Map(snippets.map((s) => [String(s.row_id), Number(s.mean_logprob)]))]]);
      for (const r of concepts) {
        const map = outcomes.get(String(r.concept)) ?? new Map();
        map.set(String(r.row_id), Number(r.mean_logprob));
        outcomes.set(String(r.concept), map);
      }
      for (const [concept, values] of [...outcomes].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const ids = [...values.keys()].filter((id) => info.has(id));
        const cols: Record<string, number[] | string[]> = { y: ids.map((id) => values.get(id)!), t: ids.map((id) => (info.get(id)!.arm === 'treated' ? 1 : 0)) };
        const covs = ids.map((id) => info.get(id)!.covariates);
        for (const name of covariateNames) cols[name] = covs.map((c) => c[name]);
        const languages = new Set(ids.map((id) => info.get(id)!.language));
        if (languages.size > 1) cols.language = ids.map((id) => info.get(id)!.language);
        const treated = (cols.t as number[]).filter((v) => v === 1).length;
        if (treated < MIN_ARM || ids.length - treated < MIN_ARM) {
          omitted.push({ testbed: m.name, concept, reason: `${treated} treated and ${ids.length - treated} control snippets, an adjusted estimate needs ${MIN_ARM} in each arm` });
          continue;
        }
        const confounders = [...covariateNames.filter((n) => new Set(cols[n] as number[]).size > 1), ...(languages.size > 1 ? ['language'] : [])];
        const result = observationalEffect({ testbed: m.name, treatment: m.treatment.name, concept, columns: cols, confounders, caliper: input.caliper ?? 0.2, seed, diagnose: concept === '(all tokens)' });
        if (result.omitted) omitted.push(result.omitted);
        if (result.effect) observational.push(result.effect);
        if (result.balance) balance = result.balance;
        refutations.push(...result.refutations);
      }
    }
  }
  // --concepts: the report's family of tests is the concepts asked for (and the whole-snippet and located outcomes)
  const wanted = (concept: string) => !input.concepts?.length || concept.startsWith('(') || input.concepts.includes(concept);
  return {
    model: input.model, runIds: Object.fromEntries(runs.map((r) => [r.testbed, r.runId])), decomposition: decomposition.filter((d) => wanted(d.concept)), covariates, correlations, nodeTypes,
    paired: paired.filter((p) => wanted(p.concept)), observational: observational.filter((o) => wanted(o.concept)), balance, refutations, hardest, gallery: gallery.filter((g) => wanted(g.concept)),
    omitted: omitted.filter((o) => wanted(o.concept)),
  };
}

function histogramDistance(h: { control: number[]; treated: number[] } | undefined): number | null {
  if (!h) return null;
  const total = (a: number[]) => a.reduce((x, y) => x + y, 0);
  return total(h.control) > 0 && total(h.treated) > 0 ? jensenShannonDistance(h.control, h.treated) : null;
}

/** Benjamini-Hochberg q-values over every test of a report (paired p-values and the regression estimates' p). */
export interface ObservationalInput {
  testbed: string;
  treatment: string;
  concept: string;
  /** y (outcome), t (0/1 treatment) and the confounders' columns. */
  columns: Record<string, number[] | string[]>;
  confounders: string[];
  caliper: number;
  seed: number;
  /** Also the balance, overlap and refutations (done for the whole-snippet outcome). */
  diagnose: boolean;
}

export interface ObservationalResult {
  effect: ObservationalEffect | null;
  balance: ModelAnalysis['balance'];
  refutations: ModelAnalysis['refutations'];
  omitted: ModelAnalysis['omitted'][number] | null;
}

/**
 * One observed property's effect on one concept's outcome by the three estimators; for the
 * whole-snippet outcome also the matching's balance and overlap and the refutations of the
 * regression estimate. An estimator that fails is recorded with its reason, and so are refutations
 * that cannot run.
 */
export function observationalEffect(input: ObservationalInput): ObservationalResult {
  const { testbed, treatment, concept, columns, confounders } = input;
  const n = columns.y.length;
  const treated = (columns.t as number[]).filter((v) => v === 1).length;
  let question;
  try {
    question = causalQuestion(tableFromColumns(columns), { treatment: 't', outcome: 'y', confounders });
  } catch (error) {
    return { effect: null, balance: null, refutations: [], omitted: { testbed, concept, reason: (error as Error).message } };
  }
  const estimates: ObservationalEffect['estimates'] = [];
  const byMethod = new Map<string, EffectEstimate>();
  for (const options of [{ method: 'matching' as const, caliper: input.caliper }, { method: 'regression' as const }, { method: 'aipw' as const, trim: 'crump' as const }]) {
    try {
      const e = estimateEffect(question, options);
      byMethod.set(options.method, e);
      const weightFailure = e.method === 'aipw' ? e.diagnostics.warnings.find((w) => /inverse-probability weight/.test(w)) : undefined;
      estimates.push({
        method: options.method, estimand: e.estimand, estimate: e.estimate, se: e.se, ci: e.ci, p: e.p, warnings: e.diagnostics.warnings,
        ...(e.population ? { population: e.population } : {}),
        ...(weightFailure ? { withheld: `overlap fails after trimming: ${weightFailure.replace(/^poor overlap: /, '')}` } : {}),
      });
    } catch (error) {
      estimates.push({ method: options.method, estimand: '-', estimate: NaN, se: NaN, ci: [NaN, NaN], p: NaN, warnings: [(error as Error).message] });
    }
  }
  const effect: ObservationalEffect = { testbed, treatment, concept, n, treated, estimates, q: NaN };
  let balance: ModelAnalysis['balance'] = null;
  const refutations: ModelAnalysis['refutations'] = [];
  let omitted: ObservationalResult['omitted'] = null;
  if (!input.diagnose) return { effect, balance, refutations, omitted };
  const matchingBalance = byMethod.get('matching')?.diagnostics.balance;
  if (matchingBalance?.after) {
    balance = { testbed, rows: matchingBalance.before.map((row, i) => ({ variable: row.label, before: row.smd, after: matchingBalance.after![i].smd })), overlap: [] };
    try {
      const { ps } = propensityScores(question);
      balance.overlap = (['control', 'treated'] as const).map((arm) => ({ arm, ps: Array.from(ps).filter((_, i) => question.treat[i] === (arm === 'treated' ? 1 : 0)) }));
    } catch { /* the propensity model failed: the estimates above carry the warning */ }
  }
  const regression = byMethod.get('regression');
  if (regression) {
    try {
      refutations.push({ ...refuteEstimate(question, regression, { method: 'regression' }, 'placebo', { simulations: 50, seed: input.seed }), testbed, details: {} });
      refutations.push({ ...refuteEstimate(question, regression, { method: 'regression' }, 'random-cause', { simulations: 20, seed: input.seed }), testbed, details: {} });
    } catch (error) {
      omitted = { testbed, concept: '(refutations)', reason: `the refutations of the regression estimate could not run: ${(error as Error).message}` };
    }
  } else {
    omitted = { testbed, concept: '(refutations)', reason: 'no refutations: the regression estimate they re-estimate failed' };
  }
  return { effect, balance, refutations, omitted };
}

export function adjustAll(analyses: ModelAnalysis[]): void {
  const ps: { set: (q: number) => void; p: number }[] = [];
  for (const a of analyses) {
    for (const e of a.paired) ps.push({ p: e.p, set: (q) => (e.q = q) });
    for (const e of a.observational) {
      const reg = e.estimates.find((x) => x.method === 'regression');
      if (reg && Number.isFinite(reg.p)) ps.push({ p: reg.p, set: (q) => (e.q = q) });
    }
  }
  if (ps.length === 0) return;
  const q = pAdjust(ps.map((x) => x.p), 'BH');
  ps.forEach((x, i) => x.set(q[i]));
}

/** Tokens after an edit site that count as its immediate context. */
export const TOKENS_AFTER_EDIT = 5;

/**
 * Outcomes located by the edits a treated row records (meta.edits): per pair and arm, the mean
 * log-prob of the edited tokens and of the next TOKENS_AFTER_EDIT tokens (where every edit replaces
 * text with text, as a mutation does: the surprise at and right after the edit site, as bug-detection
 * studies measure it; Ray et al. 2016), and of the tokens on code both arms share (the effect on the
 * code that was not edited, e.g. of missing comments on the code itself).
 */
async function addEditRegions(reader: ScoresReader, run: AnalyzeInput['runs'][number], byPair: Map<string, Map<string, { control?: number; treated?: number }>>, languageFilter: string): Promise<void> {
  const edits = new Map<string, TextEdit[]>();
  let everyEditReplaces = true;
  for await (const row of readTestbedRows({ dir: run.dir, manifest: run.manifest })) {
    if (row.arm !== 'treated' || row.pairId === null) continue;
    const e = editsFromMeta(row.meta);
    if (!e) return; // a testbed whose rows record no edits (built by an earlier version): no located outcomes
    edits.set(row.pairId, e);
    if (e.some((x) => x.text === '' || x.end === x.start)) everyEditReplaces = false;
  }
  if (edits.size === 0) return;
  // tokens streamed in row order, one snippet held at a time: a paired testbed's tokens can be tens of millions
  const names = { edited: '(edited tokens)', after: `(next ${TOKENS_AFTER_EDIT} tokens)`, unchanged: '(unchanged code)' };
  const finish = (entry: { pair: string; arm: 'control' | 'treated'; spans: [number, number][]; lp: number[] }) => {
    const e = edits.get(entry.pair);
    if (!e) return;
    const sites = editSites(e)[entry.arm];
    const { region, after } = classifyTokens(entry.spans, sites, TOKENS_AFTER_EDIT);
    const meanOf = (keep: (i: number) => boolean) => {
      let sum = 0;
      let count = 0;
      entry.lp.forEach((v, i) => { if (keep(i)) { sum += v; count++; } });
      return count ? sum / count : undefined;
    };
    const values: [string, number | undefined][] = [[names.unchanged, meanOf((i) => region[i] === 'unchanged')]];
    if (everyEditReplaces) values.push([names.edited, meanOf((i) => region[i] === 'edited')], [names.after, meanOf((i) => after[i])]);
    for (const [name, value] of values) {
      if (value === undefined) continue;
      const pairs = byPair.get(name) ?? new Map<string, { control?: number; treated?: number }>();
      const slot = pairs.get(entry.pair) ?? {};
      slot[entry.arm] = value;
      pairs.set(entry.pair, slot);
      byPair.set(name, pairs);
    }
  };
  let current: { row: string; pair: string; arm: 'control' | 'treated'; spans: [number, number][]; lp: number[] } | null = null;
  const tokens = reader.streamRows<{ row_id: string; pair_id: string; arm: string; char_start: number; char_end: number; logprob: number }>(
    `SELECT t.row_id, s.pair_id, s.arm, t.char_start, t.char_end, t.logprob FROM tokens t JOIN snippets s USING (run_id, row_id) WHERE t.run_id = ${quote(run.runId)} AND t.logprob IS NOT NULL${languageFilter} ORDER BY t.row_id, t.position`);
  for await (const t of tokens) {
    if (current === null || current.row !== t.row_id) {
      if (current) finish(current);
      current = { row: String(t.row_id), pair: String(t.pair_id), arm: t.arm as 'control' | 'treated', spans: [], lp: [] };
    }
    current.spans.push([Number(t.char_start), Number(t.char_end)]);
    current.lp.push(Number(t.logprob));
  }
  if (current) finish(current);
}

/** The hardest and the easiest function per (language, concept); ties broken by row id. */
function galleryPicks(rows: Omit<GalleryPick, 'kind'>[]): GalleryPick[] {
  const groups = new Map<string, Omit<GalleryPick, 'kind'>[]>();
  for (const r of rows) {
    const key = `${r.language}\u0000${r.concept}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const picks: GalleryPick[] = [];
  for (const [, list] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.meanLogprob - b.meanLogprob || (a.rowId < b.rowId ? -1 : 1));
    picks.push({ ...list[0], kind: 'hardest' }, { ...list[list.length - 1], kind: 'easiest' });
  }
  return picks;
}
