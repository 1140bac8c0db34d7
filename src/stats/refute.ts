/**
 * Refutation tests of an effect estimate, after DoWhy (Sharma & Kiciman 2020, arXiv:2011.04216):
 * - placebo: the treatment is replaced by a random permutation; placebo effects should centre on 0 and
 *   the real estimate should stand out: p = (1 + #{|placebo| >= |estimate|}) / (1 + S); passes when
 *   p < alpha;
 * - random-cause: an independent N(0, 1) column is added as a confounder; the estimate should not move;
 * - subset: re-estimate on random subsets (fraction 0.8); the estimate should not move;
 * - bootstrap: re-estimate on resamples with replacement; the estimate should not move;
 *   for these three, as DoWhy: z = (estimate - mean(new)) / sd(new), p = 2 (1 - Phi(|z|)); passes when
 *   p >= alpha (the original is typical of the new estimates);
 * - unobserved: sensitivity to an unobserved confounder: the E-value of the estimate as a standardised
 *   mean difference (VanderWeele & Ding 2017), and a simulated confounder U = kT z(T) + N(0,1) added
 *   to the outcome as kY sd(y) U against the estimate's sign (so that it explains part of it away) and
 *   left unadjusted; passes when the estimate keeps its sign and stays beyond its interval's half-width.
 */
import { formatP } from './formatP.ts';
import { createRandom, deriveSeed } from '../util/random.ts';
import { UsageError } from '../util/errors.ts';
import { normalCdf } from './distributions.ts';
import { causalQuestion, estimateEffect, subsetQuestion, type CausalQuestion, type EffectEstimate, type EstimateOptions } from './effect.ts';
import { evalueFromSMD } from './evalue.ts';
import { variance } from './variance.ts';
import type { DataTable } from './table.ts';

export const REFUTERS = ['placebo', 'random-cause', 'subset', 'bootstrap', 'unobserved'] as const;
export type Refuter = (typeof REFUTERS)[number];

export interface RefuteOptions {
  simulations?: number;
  seed?: number;
  alpha?: number;
  /** subset: the fraction kept. */
  fraction?: number;
  /** unobserved: strength of U on the treatment (in SD of the treatment) and on the outcome (in SD of y). */
  effectOnTreatment?: number;
  effectOnOutcome?: number;
}

export interface Refutation {
  refuter: Refuter;
  originalEstimate: number;
  newEstimate: number;
  /** Spread of the new estimates across simulations (0 for a single re-estimate). */
  newSd: number;
  p: number | null;
  simulations: number;
  verdict: 'passed' | 'failed';
  explanation: string;
  details: Record<string, unknown>;
}

function normalTest(original: number, values: number[]): { mean: number; sd: number; p: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(variance(values)) : 0;
  if (sd === 0) return { mean, sd, p: mean === original ? 1 : 0 };
  const z = (original - mean) / sd;
  return { mean, sd, p: 2 * (1 - normalCdf(Math.abs(z))) };
}

function withColumn(table: DataTable, name: string, values: Float64Array): DataTable {
  const columns = new Map(table.columns);
  columns.set(name, values);
  return { ...table, columns, names: table.names.includes(name) ? table.names : [...table.names, name] };
}

function gaussian(rng: ReturnType<typeof createRandom>): number {
  // Box-Muller
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** The question with the treatment replaced by a random permutation of itself (seeded). */
export function placeboQuestion(q: CausalQuestion, seed: number): CausalQuestion {
  const rng = createRandom(deriveSeed(seed, 'placebo'));
  const perm = Float64Array.from(q.treat);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const name = `${q.treatment}__placebo`;
  return causalQuestion(withColumn(q.table, name, perm), { ...q, treatment: name });
}

function reestimate(q: CausalQuestion, options: EstimateOptions): number {
  return estimateEffect(q, { ...options, bootstrap: undefined }, true).estimate;
}

export function refuteEstimate(q: CausalQuestion, estimate: EffectEstimate, options: EstimateOptions, refuter: Refuter, refuteOptions: RefuteOptions = {}): Refutation {
  const seed = refuteOptions.seed ?? options.seed ?? 0;
  const alpha = refuteOptions.alpha ?? 0.05;
  const simulations = refuteOptions.simulations ?? (refuter === 'unobserved' ? 1 : 50);
  const original = estimate.estimate;
  const rngFor = (s: number) => createRandom(deriveSeed(seed, `${refuter}-${s}`));
  const collect = (make: (s: number) => number) => {
    const values: number[] = [];
    let failed = 0;
    for (let s = 0; s < simulations; s++) {
      try {
        values.push(make(s));
      } catch {
        failed++;
      }
    }
    if (values.length === 0) throw new UsageError(`every ${refuter} simulation failed to estimate`, 'the data may be too small for this refuter');
    return { values, failed };
  };
  switch (refuter) {
    case 'placebo': {
      const { values, failed } = collect((s) => reestimate(placeboQuestion(q, deriveSeed(seed, `sim-${s}`)), options));
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const sd = values.length > 1 ? Math.sqrt(variance(values)) : 0;
      const extreme = values.filter((v) => Math.abs(v) >= Math.abs(original)).length;
      const p = (1 + extreme) / (1 + values.length);
      const passed = p < alpha;
      return {
        refuter, originalEstimate: original, newEstimate: mean, newSd: sd, p, simulations: values.length, verdict: passed ? 'passed' : 'failed',
        explanation: passed
          ? `random placebo treatments give effects around ${mean.toPrecision(3)} (sd ${sd.toPrecision(3)}); the estimate ${original.toPrecision(3)} is larger than all but ${extreme} of ${values.length} of them`
          : `the estimate ${original.toPrecision(3)} is no larger than what random placebo treatments give (${extreme} of ${values.length} were as large): it may not be a real effect`,
        details: { failedSimulations: failed, placeboEstimates: values },
      };
    }
    case 'random-cause':
    case 'subset':
    case 'bootstrap': {
      const fraction = refuteOptions.fraction ?? 0.8;
      if (refuter === 'subset' && !(fraction > 0 && fraction < 1)) throw new UsageError(`subset fraction must lie in (0, 1), got ${fraction}`);
      const { values, failed } = collect((s) => {
        const rng = rngFor(s);
        if (refuter === 'random-cause') {
          const u = Float64Array.from({ length: q.n }, () => gaussian(rng));
          const name = '__random_common_cause';
          return reestimate(causalQuestion(withColumn(q.table, name, u), { ...q, confounders: [...q.confounders, name] }), options);
        }
        let rows: number[];
        if (refuter === 'subset') {
          const idx = Array.from({ length: q.n }, (_, i) => i);
          for (let i = idx.length - 1; i > 0; i--) {
            const j = rng.int(i + 1);
            [idx[i], idx[j]] = [idx[j], idx[i]];
          }
          rows = idx.slice(0, Math.round(fraction * q.n)).sort((a, b) => a - b);
        } else rows = Array.from({ length: q.n }, () => rng.int(q.n));
        return reestimate(subsetQuestion(q, rows), options);
      });
      const t = normalTest(original, values);
      const passed = t.p >= alpha;
      const what = refuter === 'random-cause' ? 'adding a random common cause' : refuter === 'subset' ? `re-estimating on random ${Math.round(fraction * 100)}% subsets` : 're-estimating on bootstrap resamples';
      return {
        refuter, originalEstimate: original, newEstimate: t.mean, newSd: t.sd, p: t.p, simulations: values.length, verdict: passed ? 'passed' : 'failed',
        explanation: passed
          ? `${what} leaves the estimate where it was (mean ${t.mean.toPrecision(3)}, sd ${t.sd.toPrecision(3)}; ${formatP(t.p)})`
          : `${what} moves the estimate (mean ${t.mean.toPrecision(3)} against ${original.toPrecision(3)}; ${formatP(t.p)}): the estimate is fragile`,
        details: { failedSimulations: failed, ...(refuter === 'subset' ? { fraction } : {}) },
      };
    }
    case 'unobserved': {
      const sdY = Math.sqrt(variance(q.y));
      const ev = evalueFromSMD(original / sdY, estimate.se / sdY);
      const kT = refuteOptions.effectOnTreatment ?? 0.5;
      const kY = refuteOptions.effectOnOutcome ?? 0.5;
      const meanT = q.nTreated / q.n;
      const sdT = Math.sqrt(meanT * (1 - meanT));
      const { values, failed } = collect((s) => {
        const rng = rngFor(s);
        // oriented against the estimate: the confounder would explain part of it away
        const direction = original >= 0 ? -1 : 1;
        const y2 = Float64Array.from(q.y, (v, i) => v + direction * kY * sdY * (kT * (q.treat[i] - meanT) / sdT + gaussian(rng)));
        const name = `${q.outcome}__confounded`;
        const q2 = causalQuestion(withColumn(q.table, name, y2), { ...q, outcome: name });
        return reestimate(q2, options);
      });
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const sd = values.length > 1 ? Math.sqrt(variance(values)) : 0;
      const halfWidth = (estimate.ci[1] - estimate.ci[0]) / 2;
      const excludesZero = Math.sign(mean) === Math.sign(original) && Math.abs(mean) > halfWidth;
      return {
        refuter, originalEstimate: original, newEstimate: mean, newSd: sd, p: null, simulations: values.length, verdict: excludesZero ? 'passed' : 'failed',
        explanation: `E-value ${ev.point.toFixed(2)} (interval ${ev.ci?.toFixed(2)}): an unobserved confounder would need a risk ratio of ${ev.point.toFixed(2)} with both treatment and outcome to explain the estimate away. A simulated confounder of strength ${kT} SD on the treatment and ${kY} SD on the outcome moves the estimate to ${mean.toPrecision(3)}${excludesZero ? ', which keeps its sign and excludes 0' : ', which no longer clearly excludes 0'}`,
        details: { evalue: ev.point, evalueCi: ev.ci, riskRatio: ev.rr, effectOnTreatment: kT, effectOnOutcome: kY, failedSimulations: failed },
      };
    }
  }
}
