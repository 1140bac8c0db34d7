import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatP } from '../../src/stats/formatP.ts';
import { balanceTable } from '../../src/stats/balance.ts';
import { tableFromColumns } from '../../src/stats/table.ts';

test('p-values print as a paper prints them, never as p = 0.00', () => {
  assert.equal(formatP(0), 'p < 0.001');
  assert.equal(formatP(0.0004), 'p < 0.001');
  assert.equal(formatP(0.001), 'p = 0.001');
  assert.equal(formatP(0.04567), 'p = 0.046');
  assert.equal(formatP(NaN), 'p = –');
  assert.equal(formatP(0.2, 'q'), 'q = 0.200');
});

test('balance rows keep R\'s column name and print a level as "name = level"', () => {
  const table = tableFromColumns({ t: [1, 0, 1, 0, 1, 0], language: ['go', 'go', 'java', 'java', 'go', 'java'], x: [1, 2, 3, 4, 5, 6] });
  const { rows } = balanceTable({ table, covariates: ['x', 'language'], treat: Float64Array.from([1, 0, 1, 0, 1, 0]), estimand: 'ATT' });
  const java = rows.find((r) => r.variable === 'languagejava');
  assert.ok(java, rows.map((r) => r.variable).join(', '));
  assert.equal(java.label, 'language = java');
  assert.equal(rows.find((r) => r.variable === 'x')!.label, 'x');
});
