import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argsort } from '../../src/stats/argsort.ts';

test('argsort: ascending, stable for ties, negatives, zeros, infinities and NaN last', () => {
  const values = [3.5, -1, 0, -0, 2, 3.5, -1e-300, Infinity, -Infinity, 1e-310, NaN, 2];
  const order = Array.from(argsort(values));
  const expected = values.map((v, i) => [v, i] as const)
    .sort((a, b) => (Number.isNaN(a[0]) ? 1 : Number.isNaN(b[0]) ? -1 : a[0] - b[0]) || a[1] - b[1])
    .map(([, i]) => i);
  assert.deepEqual(order, expected);
  let s = 99;
  const random = Array.from({ length: 5000 }, () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 1e6);
  const sorted = Array.from(argsort(random), (i) => random[i]);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1] <= sorted[i]);
});
