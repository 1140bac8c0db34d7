/**
 * The concept profile of a model: per language and concept, the mean over functions of the
 * function's mean log-prob on the concept's tokens, with a seeded percentile bootstrap CI over
 * functions (Efron & Tibshirani 1993, ch. 13), and the quartiles of the function means (R's type 7).
 *
 * Per language, because languages differ in difficulty for a model far more than concepts do (a
 * model trained on Python finds Java hard everywhere), and the concepts' mix differs by language: a
 * pooled ranking would rank languages, not concepts (Simpson 1951). The records must hold each
 * function once (testbeds/read.ts originalSnippets): copies of a function in several testbeds are
 * not independent draws, and counting them makes the intervals too narrow.
 */
import { bootstrapMean } from '../stats/bootstrapMean.ts';
import { mean } from '../stats/mean.ts';
import { fiveNumberSummary } from '../stats/describe.ts';

export interface ConceptRecord {
  language: string;
  concept: string;
  /** The function's mean log-prob, mean probability and top-1 accuracy on the concept's tokens. */
  meanLogprob: number;
  meanProb: number;
  top1: number | null;
  tokens: number;
}

export interface ConceptPerformance {
  language: string;
  concept: string;
  snippets: number;
  tokens: number;
  meanLogprob: number;
  /** 95% percentile bootstrap CI over functions; [NaN, NaN] with fewer than 3 functions. */
  ci: [number, number];
  meanProb: number;
  top1: number | null;
  /** min, first quartile, median, third quartile, max of the function means (R's type-7 quantiles). */
  quartiles: [number, number, number, number, number];
}

/** Rows sorted by language, then from the hardest concept (lowest mean log-prob) to the easiest. */
export function conceptProfile(records: readonly ConceptRecord[], options: { replicates: number; seed: number }): ConceptPerformance[] {
  const groups = new Map<string, ConceptRecord[]>();
  for (const r of records) {
    const key = `${r.language}\u0000${r.concept}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const rows: ConceptPerformance[] = [];
  for (const list of groups.values()) {
    const lp = list.map((r) => r.meanLogprob);
    const top1 = list.filter((r) => r.top1 !== null).map((r) => r.top1!);
    const boot = lp.length >= 3 ? bootstrapMean(lp, { replicates: options.replicates, seed: options.seed }) : undefined;
    const summary = fiveNumberSummary(lp);
    rows.push({
      language: list[0].language, concept: list[0].concept, snippets: lp.length, tokens: list.reduce((s, r) => s + r.tokens, 0),
      meanLogprob: mean(lp), ci: boot ? boot.ci : [NaN, NaN], meanProb: mean(list.map((r) => r.meanProb)), top1: top1.length ? mean(top1) : null,
      quartiles: [summary.min, summary.q25, summary.median, summary.q75, summary.max],
    });
  }
  return rows.sort((a, b) => (a.language < b.language ? -1 : a.language > b.language ? 1 : a.meanLogprob - b.meanLogprob));
}
