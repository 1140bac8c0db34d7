/** report --lang and --concepts: every section and the test family are restricted; mistakes are caught before scoring. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildReport } from '../../src/report/build.ts';
import { UsageError } from '../../src/util/errors.ts';
import { simulate } from './simulate.ts';
import { tempDir } from '../helpers.ts';

test('report: --lang and --concepts restrict every table and the tests; a wrong name is an error before scoring', async () => {
  const dir = tempDir('cge-scope-');
  const logprobs = join(dir, 'sim.jsonl');
  await simulate(logprobs, ['remove-comments']);
  const base = { models: [`logprobs:${logprobs}`], testbeds: ['remove-comments'], db: join(dir, 'scores.duckdb'), pdf: false, bootstrapReplicates: 100, quiet: true };
  const { analyses: [a] } = await buildReport({ ...base, out: join(dir, 'r'), languages: ['javascript'], concepts: ['operator', 'natural_language'] });
  assert.deepEqual([...new Set(a.decomposition.map((d) => d.language))], ['javascript']);
  assert.deepEqual([...new Set(a.decomposition.map((d) => d.concept))].sort(), ['natural_language', 'operator']);
  assert.ok(a.paired.every((p) => p.concept.startsWith('(') || ['operator', 'natural_language'].includes(p.concept)));
  const all = a.paired.find((p) => p.concept === '(all tokens)')!;
  const { analyses: [everything] } = await buildReport({ ...base, out: join(dir, 'all') });
  assert.ok(all.pairs < everything.paired.find((p) => p.concept === '(all tokens)')!.pairs, 'only the javascript pairs are analysed');
  await assert.rejects(buildReport({ ...base, out: join(dir, 'x'), concepts: ['operators'] }), (e: unknown) => e instanceof UsageError && /unknown concept operators/.test(e.message));
  await assert.rejects(buildReport({ ...base, out: join(dir, 'y'), languages: ['ruby'] }), (e: unknown) => e instanceof UsageError && /no function of ruby/.test(e.message));
});
