/**
 * Model comparison on the same snippets. The outcome is log-probability per character (nats/char) of
 * each concept in each snippet: the sum of the log-probs of the concept's tokens over the characters
 * they cover. Unlike a per-token mean it does not depend on the tokenizer, so models with different
 * vocabularies compare fairly. For each concept, over the snippets both models scored (the control
 * arms of every testbed): the paired difference candidate - baseline, a paired t 95% CI, the Wilcoxon
 * signed-rank p, a paired bootstrap p (the percentile-bootstrap distribution of the mean difference,
 * two-sided: 2 min(P*(d <= 0), P*(d >= 0))), Cliff's delta; q: Benjamini-Hochberg over every
 * concept and candidate. A model "wins" a concept by the rule the gate uses (stats/pairedDecision.ts):
 * q < alpha on the mean and a signed-rank test significant in the same direction; a mean and a
 * signed-rank test pointing opposite ways is `disagree`, and no one wins.
 */
import { ScoresReader } from '../score/store.ts';
import { cliffsDelta } from '../stats/effectSizes.ts';
import { mean } from '../stats/mean.ts';
import { decidePairedDifferences, type DifferenceVerdict } from '../stats/pairedDecision.ts';
import { pairedTTest, welchTTest } from '../stats/ttest.ts';
import { pAdjust } from '../stats/padjust.ts';
import { variance } from '../stats/variance.ts';
import { signedRankTest } from '../stats/wilcoxon.ts';
import { createRandom } from '../util/random.ts';

export interface ModelDifference {
  baseline: string;
  candidate: string;
  concept: string;
  snippets: number;
  baselineMean: number;
  candidateMean: number;
  /** candidate - baseline, nats per character: positive means the candidate predicts the code better. */
  estimate: number;
  ci: [number, number];
  p: number;
  pWilcoxon: number;
  pBootstrap: number;
  q: number;
  cliffsDelta: number;
  winner: string | null;
  /** The decision rule's verdict for the candidate, and what qualifies it. */
  verdict: DifferenceVerdict;
  notes: string[];
  /**
   * With several training runs (seeds) per model: each run's mean on the same functions, their SDs
   * (between-seed variation), and the Welch t p (BH q) of a difference between the runs' means.
   * The function-level numbers above then use each function's mean over the runs.
   */
  seeds: { baseline: number[]; candidate: number[]; sdBaseline: number | null; sdCandidate: number | null; p: number | null; q: number | null } | null;
}

/**
 * Per (concept, function) of the original code: the metric's value and the tokens behind it, keyed
 * `concept \0 function key`, each function once however many testbeds hold it (`originals`, from
 * testbeds/read.ts originalSnippets: per testbed name, the rows that count and their function keys). `logprob`: log-prob per character (sum of the concept's
 * token log-probs over the characters they cover); `top1` and `cross-entropy`: per model token, from
 * the aggregates of the scores database. '(all tokens)' is the whole snippet.
 */
export async function snippetMetric(db: string, runIds: string[], originals: Map<string, Map<string, string>>, metric: 'logprob' | 'top1' | 'cross-entropy' = 'logprob'): Promise<Map<string, { value: number; tokens: number }>> {
  const list = runIds.map((r) => `'${r.replace(/'/g, "''")}'`).join(', ');
  const reader = await ScoresReader.open(db);
  try {
    const sql = metric === 'logprob'
      ? `WITH t AS (
          SELECT r.testbed, t.row_id, t.logprob, t.char_end - t.char_start AS chars, t.concepts FROM tokens t
          JOIN snippets s USING (run_id, row_id) JOIN runs r USING (run_id)
          WHERE t.run_id IN (${list}) AND t.logprob IS NOT NULL AND t.char_end > t.char_start)
        SELECT testbed, row_id, concept, sum(logprob) / sum(chars) AS value, count(*) AS tokens FROM (
          SELECT testbed, row_id, unnest(concepts) AS concept, logprob, chars FROM t
          UNION ALL SELECT testbed, row_id, '(all tokens)' AS concept, logprob, chars FROM t)
        GROUP BY testbed, row_id, concept ORDER BY testbed, row_id, concept`
      : `SELECT r.testbed, c.row_id, c.concept, c.${metric === 'top1' ? 'top1_accuracy' : 'cross_entropy'} AS value, c.scored AS tokens
          FROM snippet_concepts c JOIN snippets s USING (run_id, row_id) JOIN runs r USING (run_id)
          WHERE c.run_id IN (${list}) AND c.scored > 0
        UNION ALL SELECT r.testbed, s.row_id, '(all tokens)' AS concept, s.${metric === 'top1' ? 'top1_accuracy' : 'cross_entropy'} AS value, s.scored AS tokens
          FROM snippets s JOIN runs r USING (run_id) WHERE s.run_id IN (${list}) AND s.scored > 0
        ORDER BY 1, 2, 3`;
    const rows = await reader.rows<{ testbed: string; row_id: string; concept: string; value: number | null; tokens: number | bigint }>(sql);
    const out = new Map<string, { value: number; tokens: number }>();
    for (const r of rows) {
      const key = originals.get(r.testbed)?.get(r.row_id);
      if (r.value !== null && key !== undefined) out.set(`${r.concept}\u0000${key}`, { value: Number(r.value), tokens: Number(r.tokens) });
    }
    return out;
  } finally {
    reader.close();
  }
}

/**
 * Two-sided paired bootstrap p of a mean difference: resample the differences with replacement B
 * times; p = (2 min(#{mean* <= 0}, #{mean* >= 0}) + 1) / (B + 1), capped at 1 (the add-one keeps
 * p > 0; Davison & Hinkley 1997, ch. 4).
 */
export function pairedBootstrapP(d: readonly number[], replicates: number, seed: number): number {
  const random = createRandom(seed);
  const n = d.length;
  let below = 0;
  let above = 0;
  for (let r = 0; r < replicates; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[random.int(n)];
    if (s <= 0) below++;
    if (s >= 0) above++;
  }
  return Math.min(1, (2 * Math.min(below, above) + 1) / (replicates + 1));
}

export interface CompareInput {
  db: string;
  /** Each model's runs; `seeds`: several training runs of one architecture, each with its runs. */
  models: { name: string; runIds: string[]; seeds?: { name: string; runIds: string[] }[] }[];
  /** The rows of original code, each function once (testbeds/read.ts originalSnippets). */
  originals: Map<string, Map<string, string>>;
  /** Only these concepts (besides '(all tokens)'). */
  concepts?: string[];
  seed: number;
  bootstrapReplicates: number;
  alpha: number;
}

/** Every model after the first against the first (the baseline). */
/** A model's values per function: the mean over its training runs (seeds) that all scored the function. */
async function modelValues(db: string, model: CompareInput['models'][number], originals: CompareInput['originals']): Promise<{ combined: Map<string, number>; seeds: Map<string, number>[] }> {
  const runSets = model.seeds?.length ? model.seeds.map((s) => s.runIds) : [model.runIds];
  const seeds = await Promise.all(runSets.map(async (runIds) => new Map([...await snippetMetric(db, runIds, originals)].map(([k, v]) => [k, v.value]))));
  const combined = new Map<string, number>();
  for (const [key, value] of seeds[0]) {
    let sum = value;
    let all = true;
    for (const other of seeds.slice(1)) {
      const v = other.get(key);
      if (v === undefined) { all = false; break; }
      sum += v;
    }
    if (all) combined.set(key, sum / seeds.length);
  }
  return { combined, seeds };
}

export async function compareModels(input: CompareInput): Promise<ModelDifference[]> {
  const [baseline, ...candidates] = input.models;
  const baseValues = await modelValues(input.db, baseline, input.originals);
  const base = baseValues.combined;
  const results: ModelDifference[] = [];
  const family: { name: string; d: number[] }[] = [];
  const seedPs: number[] = [];
  const identicalRuns: number[] = [];
  for (const candidate of candidates) {
    const candidateValues = await modelValues(input.db, candidate, input.originals);
    const other = candidateValues.combined;
    const byConcept = new Map<string, { a: number[]; b: number[]; keys: string[] }>();
    for (const [key, a] of base) {
      const b = other.get(key);
      if (b === undefined) continue;
      const concept = key.slice(0, key.indexOf('\u0000'));
      const e = byConcept.get(concept) ?? { a: [], b: [], keys: [] };
      e.a.push(a);
      e.b.push(b);
      e.keys.push(key);
      byConcept.set(concept, e);
    }
    for (const [concept, { a, b, keys }] of [...byConcept].sort(([x], [y]) => (x < y ? -1 : 1))) {
      if (a.length < 5) continue;
      if (input.concepts?.length && !concept.startsWith('(') && !input.concepts.includes(concept)) continue;
      const d = b.map((v, i) => v - a[i]);
      if (d.every((v) => v === d[0])) continue;
      const t = pairedTTest(b, a);
      const pBootstrap = pairedBootstrapP(d, input.bootstrapReplicates, input.seed);
      // each training run's mean on the same functions: the unit of an architecture comparison
      const seedMeans = (values: Map<string, number>[]) => values.map((m) => mean(keys.map((k) => m.get(k)!)));
      const seeds = baseValues.seeds.length > 1 || candidateValues.seeds.length > 1 ? { baseline: seedMeans(baseValues.seeds), candidate: seedMeans(candidateValues.seeds) } : null;
      const bothSeeded = seeds !== null && seeds.baseline.length >= 2 && seeds.candidate.length >= 2;
      // runs that give identical scores (the same checkpoint twice) have no between-run variation to test against
      const varying = bothSeeded && variance(seeds.baseline) + variance(seeds.candidate) > 0;
      const pSeeds = bothSeeded && varying ? welchTTest(seeds.candidate, seeds.baseline).p : null;
      results.push({
        baseline: baseline.name, candidate: candidate.name, concept, snippets: d.length, baselineMean: mean(a), candidateMean: mean(b),
        estimate: t.estimate, ci: t.ci, p: t.p, pWilcoxon: signedRankTest(b, a).p, pBootstrap, q: NaN, cliffsDelta: cliffsDelta(b, a), winner: null,
        verdict: 'no difference shown', notes: [],
        seeds: seeds ? { ...seeds, sdBaseline: seeds.baseline.length > 1 ? Math.sqrt(variance(seeds.baseline)) : null, sdCandidate: seeds.candidate.length > 1 ? Math.sqrt(variance(seeds.candidate)) : null, p: pSeeds, q: null } : null,
      });
      family.push({ name: `${candidate.name}\u0000${concept}`, d });
      if (pSeeds !== null) seedPs.push(results.length - 1);
      else if (bothSeeded) identicalRuns.push(results.length - 1);
    }
  }
  // one family: every concept of every candidate
  decidePairedDifferences(family, { alpha: input.alpha }).forEach((x, i) => {
    const r = results[i];
    r.q = x.q;
    r.verdict = x.difference;
    r.notes = x.notes;
    r.winner = x.difference === 'better' ? r.candidate : x.difference === 'worse' ? r.baseline : null;
  });
  for (const i of identicalRuns) {
    const r = results[i];
    r.notes.push('the training runs give identical scores (between-run SD 0): they are copies, not independent runs, so no difference between the architectures can be shown');
    r.verdict = 'no difference shown';
    r.winner = null;
  }
  // with several training runs per model, a winner must also hold between runs (BH over the family)
  if (seedPs.length) {
    pAdjust(seedPs.map((i) => results[i].seeds!.p!), 'BH').forEach((q, j) => {
      const r = results[seedPs[j]];
      r.seeds!.q = q;
      const seedDirection = mean(r.seeds!.candidate) - mean(r.seeds!.baseline);
      if (r.winner !== null && !(q < input.alpha && Math.sign(seedDirection) === Math.sign(r.estimate))) {
        r.notes.push(`the difference between training runs does not hold up (Welch t over ${r.seeds!.baseline.length} and ${r.seeds!.candidate.length} runs, q ${q < 0.001 ? '< 0.001' : `= ${q.toFixed(3)}`}): true of these checkpoints, not shown for the architectures`);
        r.verdict = 'no difference shown';
        r.winner = null;
      }
    });
  }
  return results;
}
