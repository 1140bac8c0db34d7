/**
 * The CI gate's decision, per concept, on paired per-snippet values of a baseline and a candidate
 * (the same snippets, each function once). d = candidate - baseline, oriented so that positive is
 * better (for cross-entropy, d = baseline - candidate). The rule is the one `compare` uses
 * (stats/pairedDecision.ts) with margin m >= 0 per concept:
 * - `regressed` when the paired mean of d is shown to lie below -m: its two-sided (1 - alpha) t
 *   interval lies wholly below -m (one-sided t test at alpha / 2, BH-adjusted over the tested concepts);
 * - `non-inferior` when it is shown to lie above -m; `inconclusive` otherwise.
 * The gate fails when any concept regressed. A mean and a signed-rank test that point opposite ways
 * are stated beside the verdict. Concepts with fewer snippets or tokens than the rules ask, or
 * ignored by them, are `skipped` and said so.
 */
import { mean } from '../stats/mean.ts';
import { decidePairedDifferences } from '../stats/pairedDecision.ts';

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
  /** Bootstrap replicates and seed of the report that `gate --report` writes. */
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
  /** Two-sided (1 - alpha) paired t interval of the difference. */
  ci: [number, number];
  margin: number;
  /** One-sided t p of a regression beyond the margin, and its BH q over the tested concepts. */
  p: number;
  q: number;
  /** Two-sided Wilcoxon p of any difference. */
  pWilcoxon: number;
  verdict: Verdict;
  reason?: string;
  /** What qualifies the verdict (a location test pointing the other way). */
  notes?: string[];
}

export interface GateDecision {
  passed: boolean;
  verdicts: ConceptVerdict[];
  regressed: string[];
}

export function decideGate(samples: Map<string, ConceptSample>, rules: GateRules): GateDecision {
  const verdicts: ConceptVerdict[] = [];
  const family: { name: string; d: number[] }[] = [];
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
    verdicts.push({ ...base, difference: mean(d), ci: [NaN, NaN], p: NaN, q: NaN, pWilcoxon: NaN, verdict: 'inconclusive', notes: [] });
    family.push({ name: concept, d });
  }
  const decisions = decidePairedDifferences(family, { alpha: rules.alpha, margin: (concept) => rules.margins[concept] ?? rules.margin });
  for (const x of decisions) {
    const v = verdicts.find((y) => y.concept === x.name)!;
    Object.assign(v, { ci: x.ci, p: x.pWorse, q: x.qWorse, pWilcoxon: x.pWilcoxon, verdict: x.versusMargin, notes: x.notes });
  }
  const regressed = verdicts.filter((v) => v.verdict === 'regressed').map((v) => v.concept);
  return { passed: regressed.length === 0, verdicts, regressed };
}
