/**
 * One decision rule for a paired difference d_i = candidate_i - baseline_i (oriented so that positive
 * means the candidate is better), used by `compare` and by `gate` alike, over a family of concepts.
 *
 * On the mean of d (the estimand both commands report) with its paired t interval (Student 1908):
 * - non-inferiority against a margin m >= 0 (CONSORT for non-inferiority trials, Piaggio et al. 2012,
 *   JAMA 308(24); Wellek 2010, Testing Statistical Hypotheses of Equivalence and Noninferiority):
 *     worse beyond the margin  H0: mean >= -m vs H1: mean < -m, one-sided t p = P(T <= (dbar + m)/se)
 *     non-inferior             H0: mean <= -m vs H1: mean > -m, one-sided t p = P(T >= (dbar + m)/se)
 *   each at level alpha / 2, so that for one concept "worse" is exactly "the two-sided (1 - alpha)
 *   interval lies wholly below -m" and "non-inferior" is "it lies wholly above -m";
 * - a difference at all: the two-sided t p of mean = 0.
 * Over the family, each kind of p is Benjamini-Hochberg adjusted (Benjamini & Hochberg 1995) before it
 * is compared with its level.
 *
 * A location test must agree in direction: the Wilcoxon signed-rank test (Wilcoxon 1945) of d, whose
 * direction is the sign of V - n(n+1)/4 (the pseudo-median's side of 0). A difference in the mean is
 * declared only when the signed-rank test is significant at alpha and points the same way; when the
 * two point opposite ways (a mean driven by a few large differences while most pairs favour the other
 * model) the result is 'disagree' and nothing is declared. A shift beyond the margin is a regression
 * on the mean alone (a CI gate must not pass a candidate whose mean is shown to be worse), but the
 * disagreement of the location test is stated beside it.
 */
import { formatP } from './formatP.ts';
import { mean } from './mean.ts';
import { variance } from './variance.ts';
import { pAdjust } from './padjust.ts';
import { tCdf } from './distributions.ts';
import { pairedTTest } from './ttest.ts';
import { signedRankTest } from './wilcoxon.ts';

export interface PairedDecisionOptions {
  /** Family-wise level of the decisions (default 0.05). */
  alpha?: number;
  /** The non-inferiority margin per member of the family, in d's units (default 0: no margin). */
  margin?: (name: string) => number;
}

/** 'better' / 'worse': the candidate differs from the baseline, mean and location test agreeing. */
export type DifferenceVerdict = 'better' | 'worse' | 'disagree' | 'no difference shown';
/** 'regressed': the mean is shown to be worse than -margin; 'non-inferior': shown to be above -margin. */
export type MarginVerdict = 'regressed' | 'non-inferior' | 'inconclusive';

export interface PairedDecision {
  name: string;
  n: number;
  /** Mean of d. */
  estimate: number;
  /** Two-sided (1 - alpha) paired t interval of the mean. */
  ci: [number, number];
  margin: number;
  /** Two-sided t p of mean = 0, and its BH q over the family. */
  p: number;
  q: number;
  /** One-sided t p of mean < -margin (worse beyond the margin), and its BH q. */
  pWorse: number;
  qWorse: number;
  /** One-sided t p of mean > -margin (non-inferior), and its BH q. */
  pNonInferior: number;
  qNonInferior: number;
  /** Two-sided Wilcoxon signed-rank p of a location shift, and the side it points to (-1, 0, 1). */
  pWilcoxon: number;
  locationDirection: -1 | 0 | 1;
  difference: DifferenceVerdict;
  versusMargin: MarginVerdict;
  /** Why the verdicts are what they are, in words, for the output. */
  notes: string[];
}

/** The rule in one sentence, for the outputs that apply it. */
export function pairedDecisionRule(alpha: number): string {
  return `decisions on the paired mean difference: regressed when its two-sided ${Math.round((1 - alpha) * 100)}% t interval lies wholly below -margin (one-sided t test at ${alpha / 2}, BH-adjusted over concepts), non-inferior when it lies wholly above -margin; a difference is declared only when the BH q of the t test is below ${alpha} and the Wilcoxon signed-rank test is significant in the same direction`;
}

export function decidePairedDifferences(family: readonly { name: string; d: readonly number[] }[], options: PairedDecisionOptions = {}): PairedDecision[] {
  const alpha = options.alpha ?? 0.05;
  const level = 1 - alpha;
  const decisions: PairedDecision[] = family.map(({ name, d }) => {
    const n = d.length;
    const margin = options.margin?.(name) ?? 0;
    if (!(margin >= 0)) throw new RangeError(`margin for ${name} must be >= 0, got ${margin}`);
    if (n < 2) throw new RangeError(`${name}: a paired decision needs at least 2 differences, got ${n}`);
    const estimate = mean(d);
    const se = Math.sqrt(variance(d) / n);
    const notes: string[] = [];
    let ci: [number, number];
    let p: number;
    let pWorse: number;
    let pNonInferior: number;
    if (se > 0) {
      const t = pairedTTest(d, new Array<number>(n).fill(0), level);
      const shifted = (estimate + margin) / se;
      ci = t.ci;
      p = t.p;
      pWorse = tCdf(shifted, n - 1);
      pNonInferior = tCdf(-shifted, n - 1);
    } else {
      // every difference equal: the interval is that value, and each test is decided exactly
      ci = [estimate, estimate];
      p = estimate === 0 ? 1 : 0;
      pWorse = estimate < -margin ? 0 : 1;
      pNonInferior = estimate > -margin ? 0 : 1;
      notes.push(`every difference is ${estimate}`);
    }
    const w = signedRankTest(d);
    const expected = (w.n * (w.n + 1)) / 4;
    const locationDirection = w.n === 0 || w.statistic === expected ? 0 : w.statistic > expected ? 1 : -1;
    return {
      name, n, estimate, ci, margin, p, q: NaN, pWorse, qWorse: NaN, pNonInferior, qNonInferior: NaN,
      pWilcoxon: w.p, locationDirection, difference: 'no difference shown', versusMargin: 'inconclusive', notes,
    };
  });
  if (decisions.length === 0) return decisions;
  const adjust = (key: 'p' | 'pWorse' | 'pNonInferior', into: 'q' | 'qWorse' | 'qNonInferior') => pAdjust(decisions.map((x) => x[key]), 'BH').forEach((q, i) => (decisions[i][into] = q));
  adjust('p', 'q');
  adjust('pWorse', 'qWorse');
  adjust('pNonInferior', 'qNonInferior');
  for (const x of decisions) {
    const meanDirection = x.estimate > 0 ? 1 : x.estimate < 0 ? -1 : 0;
    if (x.q < alpha) {
      if (x.pWilcoxon < alpha && x.locationDirection === meanDirection) x.difference = meanDirection > 0 ? 'better' : 'worse';
      else if (x.locationDirection !== 0 && x.locationDirection !== meanDirection) {
        x.difference = 'disagree';
        x.notes.push(`the mean (${x.estimate > 0 ? '+' : ''}${x.estimate.toPrecision(3)}) and the signed-rank test (${x.locationDirection > 0 ? 'favours the candidate' : 'favours the baseline'}, ${formatP(x.pWilcoxon)}) point opposite ways: a few large differences drive the mean`);
      } else x.notes.push(`the mean differs (${formatP(x.q, 'q')}) but the signed-rank test does not confirm it (${formatP(x.pWilcoxon)})`);
    }
    if (x.qWorse < alpha / 2) {
      x.versusMargin = 'regressed';
      if (x.locationDirection > 0) x.notes.push('the mean is worse beyond the margin, although most pairs favour the candidate (signed-rank direction)');
    } else if (x.qNonInferior < alpha / 2) x.versusMargin = 'non-inferior';
  }
  return decisions;
}
