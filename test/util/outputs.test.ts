/**
 * Nothing a user owns is deleted or overwritten (issue 14, items 1-2): every --out is checked before
 * any work; only a folder this tool wrote is replaced, as a whole; a swap killed half-way is undone
 * on the next run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReport } from '../../src/report/build.ts';
import { buildTestbed } from '../../src/testbeds/build.ts';
import { loadTrainConfig } from '../../src/train/config.ts';
import { train } from '../../src/train/trainer.ts';
import { UserError } from '../../src/util/errors.ts';
import { recoverInterruptedSwap } from '../../src/util/outputs.ts';
import { simulate } from '../report/simulate.ts';
import { tempDir } from '../helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));
const userError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

function userRepo(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'app.py'), 'def f(x):\n    # a comment\n    return x + 1\n');
  writeFileSync(join(dir, 'config.json'), '{"mine": true}\n');
  return dir;
}

test('testbed build never replaces its input, a file, or a folder it did not write', async () => {
  const repo = userRepo();
  await assert.rejects(buildTestbed({ corpus: repo, intervention: 'remove-comments', out: repo }), userError(/would replace the input itself/));
  await assert.rejects(buildTestbed({ corpus: join(repo, 'app.py'), intervention: 'remove-comments', out: repo }), userError(/a folder that holds the input/));
  const list = join(tempDir(), 'list.jsonl');
  writeFileSync(list, '{"language": "python", "code": "pass"}\n');
  await assert.rejects(buildTestbed({ corpus: repo, intervention: 'remove-comments', out: list }), userError(/is a file, not a folder: nothing was changed/));
  const mine = tempDir();
  writeFileSync(join(mine, 'notes.txt'), 'keep me');
  await assert.rejects(buildTestbed({ corpus: repo, intervention: 'remove-comments', out: mine }), userError(/not a testbed codegen-eval wrote/));
  assert.equal(readFileSync(join(mine, 'notes.txt'), 'utf8'), 'keep me');
  assert.equal(readFileSync(join(repo, 'app.py'), 'utf8'), 'def f(x):\n    # a comment\n    return x + 1\n');
  assert.ok(existsSync(list));
  // its own testbed it rebuilds
  const out = join(tempDir(), 'tb');
  await buildTestbed({ corpus: repo, intervention: 'remove-comments', out });
  await buildTestbed({ corpus: repo, intervention: 'remove-comments', out });
  assert.ok(existsSync(join(out, 'manifest.json')));
});

test('train and corpus export refuse to overwrite what the user owns', async () => {
  const repo = userRepo();
  await assert.rejects(train({ config: loadTrainConfig(undefined, ['train.maxSteps=1']), corpus: join(repo, 'app.py'), out: repo, quiet: true }), userError(/would replace a folder that holds the input/));
  const folder = tempDir();
  writeFileSync(join(folder, 'config.json'), '{"mine": true}\n');
  await assert.rejects(train({ config: loadTrainConfig(undefined, ['train.maxSteps=1']), corpus: repo, out: folder, quiet: true }), userError(/not a model folder codegen-eval wrote/));
  assert.equal(readFileSync(join(folder, 'config.json'), 'utf8'), '{"mine": true}\n');
  const existing = join(tempDir(), 'out.jsonl');
  writeFileSync(existing, 'mine\n');
  const r = spawnSync(process.execPath, [BIN, 'corpus', 'export', '--corpus', repo, '--out', existing], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /exists: nothing was changed/);
  assert.equal(readFileSync(existing, 'utf8'), 'mine\n');
});

test('report: checked before scoring, written whole and swapped in; a killed swap is undone on the next run', async () => {
  const dir = tempDir('cge-out-');
  const mine = join(dir, 'mine');
  mkdirSync(mine);
  writeFileSync(join(mine, 'index.html'), '<p>my page</p>');
  await assert.rejects(buildReport({ models: ['nothing-here'], testbeds: ['remove-comments'], out: mine, db: join(dir, 's.duckdb'), pdf: false, quiet: true }), userError(/not a report codegen-eval wrote/));
  assert.equal(readFileSync(join(mine, 'index.html'), 'utf8'), '<p>my page</p>');
  const logprobs = join(dir, 'sim.jsonl');
  await simulate(logprobs, ['remove-comments']);
  const out = join(dir, 'report');
  const options = { models: [`logprobs:${logprobs}`], testbeds: ['remove-comments'], out, db: join(dir, 's.duckdb'), pdf: false, bootstrapReplicates: 50, quiet: true };
  await buildReport(options);
  // a figure an older run wrote and this one does not: the folder is replaced as a whole, not mixed
  writeFileSync(join(out, 'figures', 'stale.svg'), '<svg/>');
  await buildReport(options);
  assert.equal(existsSync(join(out, 'figures', 'stale.svg')), false, 'the folder is replaced as a whole, not mixed');
  // a run killed between the swap's two renames: the target is gone, its old version waits beside it
  const target = join(dir, 'swap');
  mkdirSync(`${target}.old-99999999-abcdef`);
  writeFileSync(join(`${target}.old-99999999-abcdef`, 'manifest.json'), '{}');
  mkdirSync(join(dir, '.swap.building-99999999'));
  const notes = await recoverInterruptedSwap(target);
  assert.ok(existsSync(join(target, 'manifest.json')), notes.join('; '));
  assert.equal(existsSync(join(dir, '.swap.building-99999999')), false);
});

test('a testbed or report folder codegen-eval wrote is not replaced while it holds a file of the user\'s', () => {
  const cwd = tempDir('cge-out-');
  const corpus = fileURLToPath(new URL('../../testbeds/corpus/default.jsonl.gz', import.meta.url));
  const build = () => spawnSync(process.execPath, [BIN, 'testbed', 'build', '--corpus', corpus, '--intervention', 'remove-comments', '--limit', '20', '--out', 'tb', '--quiet'], { cwd, encoding: 'utf8' });
  assert.equal(build().status, 0);
  assert.equal(build().status, 0, 'a folder holding only what the tool wrote is rebuilt');
  writeFileSync(join(cwd, 'tb', 'notes.txt'), 'my notes');
  const refused = build();
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /--out .*tb is a testbed codegen-eval wrote, but it also holds files it did not write \(notes\.txt\); replacing the folder would delete them: nothing was changed/);
  assert.equal(readFileSync(join(cwd, 'tb', 'notes.txt'), 'utf8'), 'my notes');

  const report = () => spawnSync(process.execPath, [BIN, 'report', '--model', 'demo', '--testbed', './tb', '--db', 's.duckdb', '--no-pdf', '--bootstrap', '50', '--out', 'rep', '--quiet'], { cwd, encoding: 'utf8' });
  writeFileSync(join(cwd, 'tb', 'notes.txt'), 'my notes');
  const first = report();
  assert.equal(first.status, 0, first.stderr);
  assert.equal(report().status, 0, 'a report folder holding only what the tool wrote is replaced');
  writeFileSync(join(cwd, 'rep', 'figures', 'my-figure.txt'), 'mine');
  const again = report();
  assert.equal(again.status, 1, again.stderr);
  assert.match(again.stderr, /--out .*rep is a report codegen-eval wrote, but it also holds files it did not write \(figures\/my-figure\.txt\)/);
  assert.equal(readFileSync(join(cwd, 'rep', 'figures', 'my-figure.txt'), 'utf8'), 'mine');
});
