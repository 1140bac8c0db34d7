/** The R / statsmodels reference numbers in test/fixtures/reference/causal (its README says how they were made). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readCsv, type DataTable } from '../../src/stats/table.ts';

export const REFERENCE_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'reference', 'causal');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Golden = Record<string, any>;
let cached: { golden: Golden; data: DataTable } | undefined;

export function reference(): { golden: Golden; data: DataTable } {
  cached ??= {
    golden: JSON.parse(readFileSync(join(REFERENCE_DIR, 'golden.json'), 'utf8')) as Golden,
    data: readCsv(join(REFERENCE_DIR, 'observational.csv')),
  };
  return cached;
}

/** |actual - expected| / |expected| <= tol (absolute when expected is 0). */
export function close(actual: number, expected: number, tol: number, what = ''): void {
  const err = expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(err <= tol, `${what}: ${actual} vs ${expected} (relative error ${err.toExponential(2)} > ${tol})`);
}

export function closeAll(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: lengths`);
  for (let i = 0; i < expected.length; i++) close(actual[i], expected[i], tol, `${what}[${i}]`);
}
