/**
 * The decision rule shared by `compare` and `gate`, pinned on the three cases a review found on real
 * models (issue 13, item 6), each rebuilt as a seeded sample with the same shape, and on a
 * simulation of its error rates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideGate, DEFAULT_RULES, type ConceptSample } from '../../src/gate/gate.ts';
import { decidePairedDifferences } from '../../src/stats/pairedDecision.ts';
import { mean } from '../../src/stats/mean.ts';
import { quantile } from '../../src/stats/quantile.ts';
import { signedRankTest } from '../../src/stats/wilcoxon.ts';
import { createRandom } from '../../src/util/random.ts';

/** n differences: a share `shareA` near `a`, the rest near `b`, each with N(0, sd) noise. */
function mixture(seed: number, n: number, shareA: number, a: number, b: number, sd: number): number[] {
  const random = createRandom(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  return Array.from({ length: n }, (_, i) => (i < Math.round(shareA * n) ? a : b) + sd * g());
}

function gateSample(d: number[]): Map<string, ConceptSample> {
  const baseline = d.map((_, i) => -1 - 0.001 * (i % 7));
  return new Map([['concept', { baseline, candidate: baseline.map((b, i) => b + d[i]), tokens: 100 * d.length }]]);
}

test('compare: a mean that favours the candidate while most pairs favour the baseline declares no winner', () => {
  // "iterative": mean +0.043 for the GPT, median and most pairs for the GRU, signed-rank p small
  const d = mixture(1, 600, 0.8, -0.074, 0.511, 0.02);
  assert.ok(mean(d) > 0.03 && quantile([...d].sort((x, y) => x - y), 0.5) < -0.05, 'the sample has the case\'s shape');
  const [x] = decidePairedDifferences([{ name: 'iterative', d }]);
  assert.ok(x.q < 0.001 && x.pWilcoxon < 0.001, 'both tests are significant');
  assert.equal(x.locationDirection, -1);
  assert.equal(x.difference, 'disagree');
  assert.match(x.notes.join(' '), /opposite ways/);
  // and the same differences the other way round are 'disagree' too, not 'better'
  assert.equal(decidePairedDifferences([{ name: 'iterative', d: d.map((v) => -v) }])[0].difference, 'disagree');
  // a clean shift is declared, with its direction
  assert.equal(decidePairedDifferences([{ name: 'clean', d: mixture(2, 200, 1, 0.05, 0, 0.1) }])[0].difference, 'better');
  assert.equal(decidePairedDifferences([{ name: 'clean', d: mixture(2, 200, 1, -0.05, 0, 0.1) }])[0].difference, 'worse');
});

test('gate: a mean inside the margin is not a regression, even when most pairs lie beyond it', () => {
  // "decision": mean -0.009 with margin 0.02; the signed-rank test of d + m says "less"
  const d = mixture(3, 200, 0.8, -0.03, 0.075, 0.005);
  assert.ok(Math.abs(mean(d) + 0.009) < 0.003);
  assert.ok(signedRankTest(d.map((v) => v + 0.02), undefined, 'less').p < 0.05, 'the earlier rule (one-sided Wilcoxon on d + m) called this a regression');
  const decision = decideGate(gateSample(d), DEFAULT_RULES);
  const [v] = decision.verdicts;
  assert.ok(v.ci[0] > -0.02, `the interval ${v.ci} lies above -margin`);
  assert.equal(v.verdict, 'non-inferior');
  assert.equal(decision.passed, true);
});

test('gate: an interval wholly beyond the margin is a regression, even when most pairs lie inside it', () => {
  // "iterative", GRU as candidate: CI about [-0.053, -0.033] against a margin of 0.02
  const d = mixture(4, 400, 0.8, -0.01, -0.175, 0.005);
  assert.ok(signedRankTest(d.map((v) => v + 0.02), undefined, 'less').p > 0.05, 'the earlier rule found no regression');
  const decision = decideGate(gateSample(d), DEFAULT_RULES);
  const [v] = decision.verdicts;
  assert.ok(v.ci[1] < -0.02, `the interval ${v.ci} lies below -margin`);
  assert.equal(v.verdict, 'regressed');
  assert.equal(decision.passed, false);
});

test('decision rule: for one concept, regressed and non-inferior are exactly the interval against -margin', () => {
  for (let seed = 0; seed < 40; seed++) {
    const d = mixture(100 + seed, 30, 1, -0.02 + 0.002 * (seed - 20), 0, 0.02);
    const [x] = decidePairedDifferences([{ name: 'c', d }], { alpha: 0.05, margin: () => 0.02 });
    assert.equal(x.versusMargin === 'regressed', x.ci[1] < -0.02, `seed ${seed}`);
    assert.equal(x.versusMargin === 'non-inferior', x.ci[0] > -0.02, `seed ${seed}`);
  }
});

test('decision rule: a candidate exactly at -margin is called regressed at most alpha/2 of the time', () => {
  // the truth: mean d = -m exactly, over 6 concepts; the family-wise rate of "regressed" stays near alpha/2 or below
  let regressions = 0;
  const runs = 400;
  for (let r = 0; r < runs; r++) {
    const family = Array.from({ length: 6 }, (_, c) => ({ name: `c${c}`, d: mixture(1000 + 6 * r + c, 50, 1, -0.02, 0, 0.05) }));
    if (decidePairedDifferences(family, { margin: () => 0.02 }).some((x) => x.versusMargin === 'regressed')) regressions++;
  }
  assert.ok(regressions / runs <= 0.05, `${regressions} of ${runs} runs called a regression`);
  assert.ok(regressions > 0, 'the test has power to fail');
});
