/**
 * The CI gate's decision, per concept, on paired per-snippet values of a baseline and a candidate
 * (the same snippets). d = candidate - baseline, oriented so that positive is better (for
 * cross-entropy, d = baseline - candidate). With margin m >= 0:
 * - regression test: H0 mean d >= -m against H1 mean d < -m, by the one-sided Wilcoxon signed-rank
 *   test on d + m (R: wilcox.test(d + m, alternative = "less", exact = FALSE)); q-values:
 *   Benjamini-Hochberg over the tested concepts. A concept `regressed` when q < alpha.
 * - the difference's 95% paired (percentile) bootstrap CI; `non-inferior` when its lower bound is
 *   above -m (non-inferiority shown), `inconclusive` otherwise.
 * The gate fails when any concept regressed. Concepts with fewer snippets or tokens than the rules
 * ask, or ignored by them, are `skipped` and said so.
 */
import { mean } from '../stats/mean.ts';
import { pAdjust } from '../stats/padjust.ts';
import { quantile } from '../stats/quantile.ts';
import { signedRankTest } from '../stats/wilcoxon.ts';
import { createRandom } from '../util/random.ts';

export type GateMetric = 'logprob' | 'top1' | 'cross-entropy';

export interface GateRules {
  metric: GateMetric;
  /** Default margin, in the metric's units (nats per character, accuracy, nats per token). */
  margin: number;
  /** Margins for particular concepts. */
  margins: Record<string, number>;
  alpha: number;
  /** 'all' or the concepts to gate on. */
  concepts: 'all' | string[];
  ignore: string[];
  minSnippets: number;
  minTokens: number;
  bootstrapReplicates: number;
  seed: number;
}

export const DEFAULT_RULES: GateRules = {
  metric: 'logprob', margin: 0.02, margins: {}, alpha: 0.05, concepts: 'all', ignore: [], minSnippets: 10, minTokens: 50, bootstrapReplicates: 2000, seed: 0,
};

export interface ConceptSample {
  baseline: number[];
  candidate: number[];
  /** Tokens (of the baseline) behind the values. */
  tokens: number;
}

export type Verdict = 'regressed' | 'non-inferior' | 'inconclusive' | 'skipped';

export interface ConceptVerdict {
  concept: string;
  snippets: number;
  tokens: number;
  baseline: number;
  candidate: number;
  /** Mean of d (positive: the candidate is better). */
  difference: number;
  ci: [number, number];
  margin: number;
  /** One-sided p of regression beyond the margin. */
  p: number;
  q: number;
  /** Two-sided Wilcoxon p of any difference. */
  pWilcoxon: number;
  verdict: Verdict;
  reason?: string;
}

export interface GateDecision {
  passed: boolean;
  verdicts: ConceptVerdict[];
  regressed: string[];
}

function pairedBootstrapCi(d: readonly number[], replicates: number, seed: number, level = 0.95): [number, number] {
  const random = createRandom(seed);
  const n = d.length;
  const means = new Float64Array(replicates);
  for (let r = 0; r < replicates; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[random.int(n)];
    means[r] = s / n;
  }
  means.sort();
  return [quantile(means, (1 - level) / 2), quantile(means, 1 - (1 - level) / 2)];
}

export function decideGate(samples: Map<string, ConceptSample>, rules: GateRules): GateDecision {
  const verdicts: ConceptVerdict[] = [];
  const orient = rules.metric === 'cross-entropy' ? -1 : 1;
  for (const [concept, s] of [...samples].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (rules.concepts !== 'all' && !rules.concepts.includes(concept)) continue;
    const margin = rules.margins[concept] ?? rules.margin;
    const base = { concept, snippets: s.baseline.length, tokens: s.tokens, baseline: mean(s.baseline), candidate: mean(s.candidate), margin };
    const skip = (reason: string) => verdicts.push({ ...base, difference: NaN, ci: [NaN, NaN], p: NaN, q: NaN, pWilcoxon: NaN, verdict: 'skipped', reason });
    if (rules.ignore.includes(concept)) { skip('ignored by the gate rules'); continue; }
    if (s.baseline.length < rules.minSnippets) { skip(`${s.baseline.length} snippets, fewer than the minimum ${rules.minSnippets}`); continue; }
    if (s.tokens < rules.minTokens) { skip(`${s.tokens} tokens, fewer than the minimum ${rules.minTokens}`); continue; }
    const d = s.candidate.map((c, i) => orient * (c - s.baseline[i]));
    const shifted = d.map((v) => v + margin);
    verdicts.push({
      ...base, difference: mean(d), ci: pairedBootstrapCi(d, rules.bootstrapReplicates, rules.seed), p: signedRankTest(shifted, undefined, 'less').p, q: NaN,
      pWilcoxon: signedRankTest(d).p, verdict: 'inconclusive',
    });
  }
  const tested = verdicts.filter((v) => v.verdict !== 'skipped');
  if (tested.length) {
    const q = pAdjust(tested.map((v) => v.p), 'BH');
    tested.forEach((v, i) => {
      v.q = q[i];
      v.verdict = v.q < rules.alpha ? 'regressed' : v.ci[0] > -v.margin ? 'non-inferior' : 'inconclusive';
    });
  }
  const regressed = verdicts.filter((v) => v.verdict === 'regressed').map((v) => v.concept);
  return { passed: regressed.length === 0, verdicts, regressed };
}
