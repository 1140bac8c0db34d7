/**
 * Architectures of several training runs (issue 13, item 9), by a simulation whose truth is known:
 * two architectures with the same expected quality, whose runs differ from each other by a constant
 * offset (as seeds do). On hundreds of functions, the run-averaged difference between the two
 * architectures is "significant" for the checkpoints at hand; between runs it is not, so no
 * architecture is called better, and the between-run variation stands beside the difference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildReport } from '../../src/report/build.ts';
import { parseModelGroups } from '../../src/cli/report.ts';
import { simulate } from './simulate.ts';
import { tempDir } from '../helpers.ts';

test('compare: architectures of several runs; a difference between checkpoints is not one between architectures', async () => {
  const dir = tempDir('cge-seeds-');
  // the runs' offsets: architecture a has mean 0.017, b 0.093, but each run is its own draw
  const offsets = { a: [0.1, -0.05, 0], b: [0.15, 0.05, 0.08] };
  const specs: Record<string, string[]> = { a: [], b: [] };
  for (const arch of ['a', 'b'] as const) {
    for (const [i, offset] of offsets[arch].entries()) {
      const file = join(dir, `${arch}${i}.jsonl`);
      await simulate(file, ['remove-comments'], 7, 0, 0, offset);
      specs[arch].push(`logprobs:${file}`);
    }
  }
  const { models, architectures } = parseModelGroups([`a=${specs.a.join(',')}`, `b=${specs.b.join(',')}`]);
  assert.equal(models.length, 6);
  const result = await buildReport({ models, architectures, testbeds: ['remove-comments'], out: join(dir, 'report'), db: join(dir, 'scores.duckdb'), pdf: false, bootstrapReplicates: 100, quiet: true });
  const overall = result.comparisons.find((c) => c.concept === '(all tokens)')!;
  assert.equal(overall.baseline, 'a');
  assert.equal(overall.candidate, 'b');
  assert.ok(overall.q < 0.001, `function-level, the checkpoints differ: q ${overall.q}`);
  assert.ok(overall.seeds && overall.seeds.baseline.length === 3 && overall.seeds.candidate.length === 3);
  assert.ok(overall.seeds.sdBaseline! > 0 && overall.seeds.sdCandidate! > 0, 'between-run variation is reported');
  assert.ok(overall.seeds.q! > 0.05, `between runs, no difference is shown: q ${overall.seeds.q}`);
  assert.equal(overall.winner, null);
  assert.match(overall.notes.join(' '), /not shown for the architectures/);
  // the same checkpoint given twice is not a seed study: no architecture difference is claimed, and the note says why
  const copies = { models: [specs.a[0], specs.a[0].replace('a0', 'a0-copy'), specs.b[0], specs.b[0].replace('b0', 'b0-copy')] };
  const { copyFileSync } = await import('node:fs');
  copyFileSync(specs.a[0].slice('logprobs:'.length), copies.models[1].slice('logprobs:'.length));
  copyFileSync(specs.b[0].slice('logprobs:'.length), copies.models[3].slice('logprobs:'.length));
  const same = await buildReport({ models: copies.models, architectures: [{ name: 'a', models: copies.models.slice(0, 2) }, { name: 'b', models: copies.models.slice(2) }], testbeds: ['remove-comments'], out: join(dir, 'copies'), db: join(dir, 'scores.duckdb'), pdf: false, bootstrapReplicates: 100, quiet: true });
  const copied = same.comparisons.find((c) => c.concept === '(all tokens)')!;
  assert.equal(copied.winner, null);
  assert.equal(copied.seeds!.p, null);
  assert.match(copied.notes.join(' '), /identical scores/);
  assert.deepEqual(parseModelGroups(['x,y']), { models: ['x', 'y'] });
  assert.throws(() => parseModelGroups(['a=x', 'y']), /mixes architectures/);
  assert.throws(() => parseModelGroups(['a=x,y', 'b=y']), /lists y twice/);
});
