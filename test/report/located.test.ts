/**
 * Outcomes located by the edit (issue 13, item 7), on the shipped testbeds scored by a simulated
 * model with a known truth: every treated token +0.5 nats, and a mutated token a further -2 nats
 * (surprise exactly at the edit site). The whole-snippet mean dilutes the surprise; the edited tokens
 * show it (-1.5), the tokens after the edit and the unchanged code show only the +0.5. For
 * remove-comments, the whole-snippet effect mixes the removal of hard comment tokens with the +0.5;
 * the unchanged code shows +0.5 alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildReport } from '../../src/report/build.ts';
import type { PairedEffect } from '../../src/report/analyze.ts';
import { simulate } from './simulate.ts';
import { tempDir } from '../helpers.ts';

test('paired effects at the edit site, after it, and on the code both arms share recover their truths', async () => {
  const dir = tempDir('cge-located-');
  // one logprobs file per testbed: the two testbeds hold rows with the same ids
  const paired: PairedEffect[] = [];
  for (const testbed of ['inject-bug', 'remove-comments']) {
    const logprobs = join(dir, `${testbed}.jsonl`);
    await simulate(logprobs, [testbed], 7, 0, -2);
    const { analyses: [a] } = await buildReport({ models: [`logprobs:${logprobs}`], testbeds: [testbed], out: join(dir, testbed), db: join(dir, 'scores.duckdb'), pdf: false, bootstrapReplicates: 100, quiet: true });
    paired.push(...a.paired);
  }
  const row = (testbed: string, concept: string) => {
    const r = paired.find((p) => p.testbed === testbed && p.concept === concept);
    assert.ok(r, `${testbed}: ${concept} is reported`);
    return r;
  };
  const covers = (r: { ci: [number, number]; concept: string; testbed: string }, truth: number) => assert.ok(r.ci[0] < truth && truth < r.ci[1], `${r.testbed} ${r.concept}: ${r.ci} covers ${truth}`);
  const edited = row('inject-bug', '(edited tokens)');
  covers(edited, -1.5);
  covers(row('inject-bug', '(next 5 tokens)'), 0.5);
  covers(row('inject-bug', '(unchanged code)'), 0.5);
  const whole = row('inject-bug', '(all tokens)');
  assert.ok(whole.estimate > 0.3, `the whole-snippet mean dilutes the surprise: ${whole.estimate}`);
  // remove-comments deletes text: no edited tokens in the treated arm, only the shared code
  assert.equal(paired.some((p) => p.testbed === 'remove-comments' && p.concept === '(edited tokens)'), false);
  covers(row('remove-comments', '(unchanged code)'), 0.5);
  const all = row('remove-comments', '(all tokens)');
  assert.ok(all.ci[0] > 0.5, `all tokens mix in the removal of hard comment tokens: ${all.ci}`);
});
