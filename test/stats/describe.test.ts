/**
 * Summaries against R 4.2's quantile(type = 7) and sd(), values printed with digits = 17. R
 * interpolates as (1 - h) x[lo] + h x[hi], we as x[lo] + h (x[hi] - x[lo]): the last bit may differ.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe, fiveNumberSummary, sampleSd, type FiveNumberSummary } from '../../src/stats/describe.ts';

function assertSummary(actual: FiveNumberSummary, expected: FiveNumberSummary): void {
  for (const key of ['min', 'q25', 'median', 'q75', 'max'] as const) {
    assert.ok(Math.abs(actual[key] - expected[key]) <= 1e-15, `${key}: ${actual[key]} vs R's ${expected[key]}`);
  }
}

// R: y <- c(0.1, 0.7, -2.5, 3.25, 1e-3, 8, 8, -1); quantile(y, c(.25, .5, .75)); sd(y); mean(y)
const y = [0.1, 0.7, -2.5, 3.25, 1e-3, 8, 8, -1];

test('fiveNumberSummary: type-7 quartiles as R quantile() gives them, not fivenum() hinges', () => {
  assertSummary(fiveNumberSummary(y), { min: -2.5, q25: -0.24925, median: 0.39999999999999997, q75: 4.4375, max: 8 });
  // fivenum(y) is -2.5, -0.4995, 0.4, 5.625, 8: the hinges differ from the quartiles here
  assert.notEqual(fiveNumberSummary(y).q25, -0.4995);
  const x = [3, 1, 4, 1, 5, 9, 2, 6]; // R summary(x): 1, 1.75, 3.5, 3.875 (mean), 5.25, 9
  assertSummary(fiveNumberSummary(x), { min: 1, q25: 1.75, median: 3.5, q75: 5.25, max: 9 });
  const empty = fiveNumberSummary([]);
  assert.ok(Object.values(empty).every(Number.isNaN));
});

test('sampleSd and describe: R sd() with n - 1; one value has SD 0 in describe, NaN in sampleSd', () => {
  assert.ok(Math.abs(sampleSd(y) - 4.0012596387173591) < 1e-15);
  assert.ok(Math.abs(sampleSd([3, 1, 4, 1, 5, 9, 2, 6]) - 2.7483761439387129) < 1e-15);
  assert.ok(Number.isNaN(sampleSd([2])));
  const d = describe(y);
  assert.ok(Math.abs(d.mean - 2.0688749999999998) < 1e-15);
  assert.ok(d.min === -2.5 && d.max === 8 && Math.abs(d.median - 0.39999999999999997) <= 1e-15);
  assert.deepEqual(describe([2]), { mean: 2, sd: 0, min: 2, median: 2, max: 2 });
});
