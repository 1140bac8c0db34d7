import assert from 'node:assert/strict';
import { test } from 'node:test';
import { observationalEffect } from '../../src/report/analyze.ts';
import { createRandom } from '../../src/util/random.ts';

/** y = 1 + 2 t + x + noise, with t more likely for larger x (a confounded property). */
function simulate(n: number, seed: number): Record<string, number[]> {
  const random = createRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const x: number[] = [];
  const t: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const xi = normal();
    const ti = random.next() < 1 / (1 + Math.exp(-xi)) ? 1 : 0;
    x.push(xi);
    t.push(ti);
    y.push(1 + 2 * ti + xi + 0.5 * normal());
  }
  return { x, t, y };
}

const base = { testbed: 'tb', treatment: 'prop', concept: '(all tokens)', confounders: ['x'], seed: 1, diagnose: true };

test('the refutations re-estimate the regression estimate, with balance from matching', () => {
  const result = observationalEffect({ ...base, columns: simulate(400, 5), caliper: 0.2 });
  assert.ok(result.effect);
  assert.deepEqual(result.effect.estimates.map((e) => e.method), ['matching', 'regression', 'aipw']);
  const regression = result.effect.estimates.find((e) => e.method === 'regression')!;
  assert.ok(Math.abs(regression.estimate - 2) < 0.3, `regression ${regression.estimate} near the true 2`);
  assert.ok(result.balance && result.balance.rows.length > 0 && result.balance.overlap.length === 2);
  assert.deepEqual(result.refutations.map((r) => r.refuter), ['placebo', 'random-cause']);
  for (const r of result.refutations) assert.equal(r.originalEstimate, regression.estimate);
  assert.equal(result.omitted, null);
});

test('when matching fails the regression estimate is still refuted (not AIPW\'s), and the failure is recorded', () => {
  const result = observationalEffect({ ...base, columns: simulate(400, 5), caliper: 1e-12 });
  assert.ok(result.effect);
  const matching = result.effect.estimates.find((e) => e.method === 'matching')!;
  assert.ok(Number.isNaN(matching.estimate) && matching.warnings.length > 0, 'matching failed with its reason');
  const regression = result.effect.estimates.find((e) => e.method === 'regression')!;
  assert.equal(result.refutations.length, 2);
  for (const r of result.refutations) assert.equal(r.originalEstimate, regression.estimate);
  assert.equal(result.balance, null);
});

