/** Data-sized arrays never go through Math.min(...) / Math.max(...) (issue 14, item 7). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { causalQuestion, estimateEffect } from '../../src/stats/effect.ts';
import { maxOf, minOf } from '../../src/stats/extent.ts';
import { tableFromColumns } from '../../src/stats/table.ts';
import { describe } from '../../src/stats/describe.ts';
import { createRandom } from '../../src/util/random.ts';

test('minOf / maxOf: 1,000,000 values, empty arrays and NaN', () => {
  const big = Float64Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 1_000_003);
  assert.throws(() => Math.max(...big), RangeError, 'the spread this replaces does throw');
  assert.equal(minOf(big), big.reduce((a, b) => Math.min(a, b), Infinity));
  assert.equal(maxOf(big), big.reduce((a, b) => Math.max(a, b), -Infinity));
  assert.equal(maxOf([3, 9, -1]), 9);
  assert.equal(minOf([3, 9, -1]), -1);
  assert.ok(Number.isNaN(minOf([])) && Number.isNaN(maxOf([1, NaN])));
});

test('effect by IPW and testbed summaries on 300,000 rows do not crash', () => {
  const random = createRandom(1);
  const n = 300_000;
  const x = Array.from({ length: n }, () => random.next());
  const t = x.map((v) => (random.next() < 0.3 + 0.4 * v ? 1 : 0));
  const y = x.map((v, i) => v + 0.5 * t[i] + random.next());
  const q = causalQuestion(tableFromColumns({ y, t, x }), { treatment: 't', outcome: 'y', confounders: ['x'] });
  const e = estimateEffect(q, { method: 'ipw' });
  assert.ok(Math.abs(e.estimate - 0.5) < 0.02, `IPW ${e.estimate}`);
  assert.ok(e.diagnostics.overlap && e.diagnostics.overlap.treated.max <= 1);
  const d = describe(x);
  assert.ok(d.min >= 0 && d.max < 1);
});
