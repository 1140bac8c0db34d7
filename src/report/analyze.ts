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
import { covariatesFromJson, covariatesJsonSql, ScoresReader } from '../score/store.ts';
import { bootstrap } from '../stats/bootstrap.ts';
import { cliffsDelta } from '../stats/effectSizes.ts';
import { causalQuestion, estimateEffect, propensityScores, type EffectEstimate } from '../stats/effect.ts';
import { mean } from '../stats/mean.ts';
import { spearman } from '../stats/correlation.ts';
import { jensenShannonDistance } from '../stats/jensenShannon.ts';
import { quantile } from '../stats/quantile.ts';
import { describe } from '../testbeds/inspect.ts';
import { pAdjust } from '../stats/padjust.ts';
import { refuteEstimate, type Refutation } from '../stats/refute.ts';
import { tableFromColumns } from '../stats/table.ts';
import { pairedTTest } from '../stats/ttest.ts';
import { signedRankTest } from '../stats/wilcoxon.ts';
import type { TestbedManifest } from '../testbeds/build.ts';

export interface ConceptPerformance {
  concept: string;
  snippets: number;
  tokens: number;
  meanLogprob: number;
  ci: [number, number];
  meanProb: number;
  top1: number | null;
  /** min, first quartile, median, third quartile, max of the snippet means (R's type-7 quantiles). */
  quartiles: [number, number, number, number, number];
}

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
  jsDistance: number;
}

export interface ObservationalEffect {
  testbed: string;
  treatment: string;
  concept: string;
  n: number;
  treated: number;
  estimates: { method: string; estimand: string; estimate: number; se: number; ci: [number, number]; p: number; warnings: string[] }[];
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
}


const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

export interface AnalyzeInput {
  db: string;
  model: string;
  runs: { testbed: string; runId: string; manifest: TestbedManifest }[];
  seed: number;
  bootstrapReplicates: number;
  /** Matching caliper in propensity-score SDs (default 0.2). */
  caliper?: number;
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
  const runList = runs.map((r) => quote(r.runId)).join(', ');
  // decomposition over control arms
  const conceptRows = await reader.rows(`SELECT c.concept, c.row_id, c.mean_logprob, c.mean_prob, c.top1_accuracy, c.scored FROM snippet_concepts c JOIN snippets s USING (run_id, row_id) WHERE c.run_id IN (${runList}) AND s.arm = 'control' AND c.scored > 0 ORDER BY c.concept, c.run_id, c.row_id`);
  const byConcept = new Map<string, { lp: number[]; p: number[]; top1: number[]; tokens: number }>();
  for (const r of conceptRows) {
    const c = String(r.concept);
    const e = byConcept.get(c) ?? { lp: [], p: [], top1: [], tokens: 0 };
    e.lp.push(Number(r.mean_logprob));
    e.p.push(Number(r.mean_prob));
    if (r.top1_accuracy !== null) e.top1.push(Number(r.top1_accuracy));
    e.tokens += Number(r.scored);
    byConcept.set(c, e);
  }
  const decomposition: ConceptPerformance[] = [...byConcept].map(([concept, e]) => {
    const boot = e.lp.length >= 3 ? bootstrap(e.lp.length, (rows) => mean(Array.from(rows, (i) => e.lp[i])), { replicates: input.bootstrapReplicates, seed }) : undefined;
    const sorted = [...e.lp].sort((a, b) => a - b);
    const quartiles = [0, 0.25, 0.5, 0.75, 1].map((p) => quantile(sorted, p)) as ConceptPerformance['quartiles'];
    return { concept, snippets: e.lp.length, tokens: e.tokens, meanLogprob: mean(e.lp), ci: (boot ? boot.ci : [NaN, NaN]) as [number, number], meanProb: mean(e.p), top1: e.top1.length ? mean(e.top1) : null, quartiles };
  }).sort((a, b) => a.meanLogprob - b.meanLogprob);
  // per AST leaf type and language: snippet means, bootstrap CI over snippets, as for concepts
  const nodeRows = await reader.rows(`SELECT language, leaf, row_id, count(*) AS tokens, avg(logprob) AS lp, avg(exp(logprob)) AS p FROM (
      SELECT s.language, t.row_id, unnest(t.leaf_types) AS leaf, t.logprob FROM tokens t JOIN snippets s USING (run_id, row_id)
      WHERE t.run_id IN (${runList}) AND s.arm = 'control' AND t.logprob IS NOT NULL)
    GROUP BY language, leaf, row_id ORDER BY language, leaf, row_id`);
  const byNode = new Map<string, { language: string; nodeType: string; lp: number[]; p: number[]; tokens: number }>();
  for (const r of nodeRows) {
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
      const boot = bootstrap(e.lp.length, (rows) => mean(Array.from(rows, (i) => e.lp[i])), { replicates: input.bootstrapReplicates, seed });
      nodeTypes.push({ language, nodeType: e.nodeType, snippets: e.lp.length, tokens: e.tokens, meanLogprob: mean(e.lp), ci: boot.ci, meanProb: mean(e.p) });
    }
  }

  // covariates of the original snippets, each function once (the same code is in several testbeds)
  const covariateRows = await reader.rows(`SELECT regexp_replace(row_id, '#control$', '') AS key, any_value(${covariatesJsonSql('snippets')}) AS covariates, any_value(mean_logprob) AS y FROM snippets WHERE run_id IN (${runList}) AND arm = 'control' AND scored > 0 GROUP BY key ORDER BY key`);
  const covariateValues = new Map<string, number[]>();
  const outcome: number[] = [];
  for (const r of covariateRows) {
    const c = covariatesFromJson(r.covariates);
    outcome.push(Number(r.y));
    for (const [name, v] of Object.entries(c)) {
      if (!covariateValues.has(name)) covariateValues.set(name, []);
      covariateValues.get(name)!.push(Number(v));
    }
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
  const hardestRows = await reader.rows(`SELECT r.testbed, s.row_id, s.mean_logprob FROM snippets s JOIN runs r USING (run_id) WHERE s.run_id IN (${runList}) AND s.arm = 'control' AND s.scored >= 20 ORDER BY s.mean_logprob, s.row_id LIMIT 20`);
  const hardest = hardestRows.map((r) => ({ testbed: String(r.testbed), rowId: String(r.row_id), meanLogprob: Number(r.mean_logprob) }));

  const paired: PairedEffect[] = [];
  const observational: ObservationalEffect[] = [];
  let balance: ModelAnalysis['balance'] = null;
  const refutations: ModelAnalysis['refutations'] = [];
  for (const run of runs) {
    const m = run.manifest;
    if (m.design === 'paired') {
      const rows = await reader.rows(`SELECT s.pair_id, s.arm, c.concept, c.mean_logprob FROM snippet_concepts c JOIN snippets s USING (run_id, row_id) WHERE c.run_id = ${quote(run.runId)} AND c.scored > 0
        UNION ALL SELECT pair_id, arm, '(all tokens)' AS concept, mean_logprob FROM snippets WHERE run_id = ${quote(run.runId)} AND scored > 0`);
      const byPair = new Map<string, Map<string, { control?: number; treated?: number }>>();
      for (const r of rows) {
        const c = String(r.concept);
        const pairs = byPair.get(c) ?? new Map();
        const entry = pairs.get(String(r.pair_id)) ?? {};
        entry[r.arm as 'control' | 'treated'] = Number(r.mean_logprob);
        pairs.set(String(r.pair_id), entry);
        byPair.set(c, pairs);
      }
      const bins = 20;
      const histogramRows = await reader.rows(`WITH t AS (SELECT s.arm, t.concepts, least(${bins - 1}, CAST(floor(exp(t.logprob) * ${bins}) AS INTEGER)) AS bin FROM tokens t JOIN snippets s USING (run_id, row_id) WHERE t.run_id = ${quote(run.runId)} AND t.logprob IS NOT NULL)
        SELECT concept, arm, bin, count(*) AS n FROM (SELECT unnest(concepts) AS concept, arm, bin FROM t UNION ALL SELECT '(all tokens)' AS concept, arm, bin FROM t) GROUP BY concept, arm, bin`);
      const histograms = new Map<string, { control: number[]; treated: number[] }>();
      for (const r of histogramRows) {
        const h = histograms.get(String(r.concept)) ?? { control: new Array<number>(bins).fill(0), treated: new Array<number>(bins).fill(0) };
        h[r.arm as 'control' | 'treated'][Number(r.bin)] += Number(r.n);
        histograms.set(String(r.concept), h);
      }
      for (const [concept, pairs] of [...byPair].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const complete = [...pairs.values()].filter((e) => e.control !== undefined && e.treated !== undefined) as { control: number; treated: number }[];
        if (complete.length < 5) continue;
        const t = complete.map((e) => e.treated);
        const c = complete.map((e) => e.control);
        const diffs = complete.map((e) => e.treated - e.control);
        if (diffs.every((d) => d === diffs[0])) continue; // no variation: no test
        const tt = pairedTTest(t, c);
        paired.push({
          testbed: m.name, intervention: m.treatment.name, concept, pairs: complete.length, control: mean(c), treated: mean(t),
          estimate: tt.estimate, ci: tt.ci, p: tt.p, pWilcoxon: signedRankTest(t, c).p, q: NaN, cliffsDelta: cliffsDelta(t, c),
          jsDistance: histogramDistance(histograms.get(concept)),
        });
      }
    } else {
      const excluded = new Set(m.treatment.excludedCovariates ?? []);
      const snippets = await reader.rows(`SELECT row_id, arm, language, mean_logprob, ${covariatesJsonSql('snippets')} AS covariates FROM snippets WHERE run_id = ${quote(run.runId)} AND scored > 0`);
      const concepts = await reader.rows(`SELECT row_id, concept, mean_logprob FROM snippet_concepts WHERE run_id = ${quote(run.runId)} AND scored > 0`);
      // parsed once per snippet, not once per concept
      const info = new Map(snippets.map((s) => [String(s.row_id), { arm: String(s.arm), language: String(s.language), covariates: covariatesFromJson(s.covariates) }]));
      const covariateNames = Object.keys(info.values().next().value?.covariates ?? {}).filter((k) => !excluded.has(k) && k !== 'errorNodes');
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
        if (treated < 10 || ids.length - treated < 10) continue;
        const confounders = [...covariateNames.filter((n) => new Set(cols[n] as number[]).size > 1), ...(languages.size > 1 ? ['language'] : [])];
        let q;
        try {
          q = causalQuestion(tableFromColumns(cols), { treatment: 't', outcome: 'y', confounders });
        } catch {
          continue;
        }
        const estimates: ObservationalEffect['estimates'] = [];
        const keep: EffectEstimate[] = [];
        for (const options of [{ method: 'matching' as const, caliper: input.caliper ?? 0.2 }, { method: 'regression' as const }, { method: 'aipw' as const }]) {
          try {
            const e = estimateEffect(q, options);
            keep.push(e);
            estimates.push({ method: options.method, estimand: e.estimand, estimate: e.estimate, se: e.se, ci: e.ci, p: e.p, warnings: e.diagnostics.warnings });
          } catch (error) {
            estimates.push({ method: options.method, estimand: '-', estimate: NaN, se: NaN, ci: [NaN, NaN], p: NaN, warnings: [(error as Error).message] });
          }
        }
        observational.push({ testbed: m.name, treatment: m.treatment.name, concept, n: ids.length, treated, estimates, q: NaN });
        if (concept === '(all tokens)' && keep[0]?.diagnostics.balance?.after) {
          const b = keep[0].diagnostics.balance;
          balance = {
            testbed: m.name,
            rows: b.before.map((row, i) => ({ variable: row.variable, before: row.smd, after: b.after![i].smd })),
            overlap: [],
          };
          try {
            const { ps } = propensityScores(q);
            balance.overlap = (['control', 'treated'] as const).map((arm) => ({ arm, ps: Array.from(ps).filter((_, i) => q.treat[i] === (arm === 'treated' ? 1 : 0)) }));
          } catch { /* the propensity model failed: estimates above carry the warning */ }
          try {
            const r = refuteEstimate(q, keep[1], { method: 'regression' }, 'placebo', { simulations: 50, seed });
            refutations.push({ ...r, testbed: m.name, details: {} });
            const rc = refuteEstimate(q, keep[1], { method: 'regression' }, 'random-cause', { simulations: 20, seed });
            refutations.push({ ...rc, testbed: m.name, details: {} });
          } catch { /* refutation impossible on this data: left out */ }
        }
      }
    }
  }
  return { model: input.model, runIds: Object.fromEntries(runs.map((r) => [r.testbed, r.runId])), decomposition, covariates, correlations, nodeTypes, paired, observational, balance, refutations, hardest };
}

function histogramDistance(h: { control: number[]; treated: number[] } | undefined): number {
  if (!h) return NaN;
  const total = (a: number[]) => a.reduce((x, y) => x + y, 0);
  return total(h.control) > 0 && total(h.treated) > 0 ? jensenShannonDistance(h.control, h.treated) : NaN;
}

/** Benjamini-Hochberg q-values over every test of a report (paired p-values and the regression estimates' p). */
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
