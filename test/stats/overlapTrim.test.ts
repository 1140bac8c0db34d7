/**
 * Trimming by limited overlap (issue 13, item 4): the Crump et al. (2009) threshold against its
 * defining equation solved independently, and a simulation with near-violations of overlap whose
 * truth is known: untrimmed AIPW is dominated by a few weights; trimmed, it covers the ATE of the units
 * it keeps, the estimand it states.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { causalQuestion, estimateEffect } from '../../src/stats/effect.ts';
import { crumpTrim } from '../../src/stats/overlapTrim.ts';
import { tableFromColumns } from '../../src/stats/table.ts';
import { createRandom } from '../../src/util/random.ts';

test('crumpTrim: for uniform propensity scores, alpha solves 1/(a(1-a)) = 2 E[h | a <= e <= 1-a]', () => {
  // E[h | a <= e <= 1 - a] for e ~ U(0, 1) is 2 ln((1 - a) / a) / (1 - 2a); solve by bisection
  const f = (a: number) => 1 / (a * (1 - a)) - (4 * Math.log((1 - a) / a)) / (1 - 2 * a);
  let lo = 1e-6;
  let hi = 0.45;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  const n = 200_000;
  const ps = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n);
  const trim = crumpTrim(ps);
  assert.ok(Math.abs(trim.alpha - lo) < 1e-3, `alpha ${trim.alpha} vs ${lo}`);
  assert.ok(trim.alpha > 0.05 && trim.alpha < 0.15, 'near the 0.1 rule of thumb the paper reports');
  assert.equal(trim.trimmed, ps.filter((e) => e < trim.alpha || e > 1 - trim.alpha).length);
  // good overlap: nothing trimmed
  assert.equal(crumpTrim(Float64Array.from({ length: 1000 }, (_, i) => 0.3 + (0.4 * i) / 1000)).alpha, 0);
});

test('simulation: with near-violations of overlap, trimmed AIPW covers the ATE of the units it keeps', () => {
  let covered = 0;
  let wideUntrimmed = 0;
  const simulations = 60;
  for (let s = 0; s < simulations; s++) {
    const random = createRandom(500 + s);
    const g = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    const n = 1500;
    const x = Array.from({ length: n }, () => g());
    const e = x.map((v) => 1 / (1 + Math.exp(-3.5 * v))); // e near 0 or 1 in the tails
    const t = e.map((p) => (random.next() < p ? 1 : 0));
    const effect = x.map((v) => 1 + v * v); // heterogeneous: the trimmed population's ATE differs from the whole one's
    const y = x.map((v, i) => v + effect[i] * t[i] + 0.5 * g());
    const q = causalQuestion(tableFromColumns({ y, t, x }), { treatment: 't', outcome: 'y', confounders: ['x'] });
    const trimmed = estimateEffect(q, { method: 'aipw', trim: 'crump' });
    const untrimmed = estimateEffect(q, { method: 'aipw' });
    const trimOptions = trimmed.options.trim as { alpha: number; trimmed: number };
    assert.ok(trimOptions.alpha > 0 && trimOptions.trimmed > 0, 'the rule trims here');
    assert.match(trimmed.population ?? '', /units with propensity in \[/);
    // the estimand it states: the mean effect over the units whose (estimated) propensity is kept
    const ps = fittedPropensity(x, t);
    const kept = effect.filter((_, i) => ps[i] >= trimOptions.alpha && ps[i] <= 1 - trimOptions.alpha);
    const truth = kept.reduce((a, b) => a + b, 0) / kept.length;
    if (trimmed.ci[0] <= truth && truth <= trimmed.ci[1]) covered++;
    if (untrimmed.se > 2 * trimmed.se) wideUntrimmed++;
  }
  assert.ok(covered / simulations >= 0.88, `covered ${covered} of ${simulations}`);
  assert.ok(wideUntrimmed / simulations > 0.5, `untrimmed AIPW was over twice as uncertain in ${wideUntrimmed} of ${simulations}`);
});

/** The logistic propensity fitted the way the engine fits it (one covariate): Newton-Raphson. */
function fittedPropensity(x: number[], t: number[]): number[] {
  let b0 = 0;
  let b1 = 0;
  for (let it = 0; it < 50; it++) {
    let g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
    for (let i = 0; i < x.length; i++) {
      const p = 1 / (1 + Math.exp(-(b0 + b1 * x[i])));
      const w = p * (1 - p);
      g0 += t[i] - p;
      g1 += (t[i] - p) * x[i];
      h00 += w;
      h01 += w * x[i];
      h11 += w * x[i] * x[i];
    }
    const det = h00 * h11 - h01 * h01;
    b0 += (h11 * g0 - h01 * g1) / det;
    b1 += (h00 * g1 - h01 * g0) / det;
  }
  return x.map((v) => 1 / (1 + Math.exp(-(b0 + b1 * v))));
}
