import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestbed, inspectTestbed, openTestbed, readTestbedRows } from '../../src/testbeds/index.ts';
import type { TestbedRow } from '../../src/testbeds/types.ts';
import { LANGUAGES } from '../../src/languages/languages.ts';
import { UserError, UsageError } from '../../src/util/errors.ts';
import { FIXTURES, tempDir, writeCodeSearchNetTree } from '../helpers.ts';

async function rowsOf(dir: string): Promise<TestbedRow[]> {
  const out: TestbedRow[] = [];
  for await (const r of readTestbedRows(openTestbed(dir))) out.push(r);
  return out;
}

test('testbed build: CodeSearchNet .jsonl.gz and a source folder, each of the six languages', async () => {
  const csn = await writeCodeSearchNetTree();
  const src = tempDir();
  cpSync(join(FIXTURES, 'code'), src, { recursive: true });
  const out = tempDir();
  for (const language of LANGUAGES) {
    for (const [kind, corpus] of [['csn', join(csn, language, 'final/jsonl/train', `${language}_train_0.jsonl.gz`)], ['src', src]] as const) {
      const dir = join(out, `${kind}-${language}`);
      const { manifest } = await buildTestbed({ corpus, out: dir, intervention: 'rename-identifiers', languages: [language] });
      assert.ok(manifest.counts.pairs >= 2, `${kind} ${language}: ${manifest.counts.pairs} pairs`);
      assert.equal(manifest.counts.rows, 2 * manifest.counts.pairs);
      assert.deepEqual(Object.keys(manifest.counts.byLanguage), [language]);
      const rows = await rowsOf(dir);
      assert.equal(rows.length, manifest.counts.rows);
      const [control, treated] = rows;
      assert.equal(control.arm, 'control');
      assert.equal(treated.arm, 'treated');
      assert.equal(control.pairId, treated.pairId);
      assert.equal(treated.id, `${treated.pairId}#treated`);
      assert.ok(treated.meta.renamed);
      assert.equal(typeof control.covariates.cyclomatic, 'number');
      assert.ok(control.provenance.file);
    }
  }
});

test('testbed build: same input and seed give a byte-identical testbed; another seed another one', async () => {
  const csn = await writeCodeSearchNetTree();
  const out = tempDir();
  const build = (name: string, seed: number) => buildTestbed({ corpus: csn, out: join(out, name), intervention: 'inject-bug', seed });
  await build('a', 7);
  await build('b', 7);
  await build('c', 8);
  const read = (name: string, file: string) => readFileSync(join(out, name, file));
  assert.ok(read('a', 'rows.jsonl').equals(read('b', 'rows.jsonl')));
  assert.equal(read('a', 'manifest.json').toString().replace('"name": "a"', ''), read('b', 'manifest.json').toString().replace('"name": "b"', ''));
  assert.ok(!read('a', 'rows.jsonl').equals(read('c', 'rows.jsonl')));
  const manifest = JSON.parse(read('a', 'manifest.json').toString());
  assert.equal(manifest.source.sha256.length, 64);
  assert.equal(manifest.source.kind, 'jsonl-tree');
  assert.equal(manifest.options.seed, 7);
  assert.ok(manifest.counts.pairs > 10);
  assert.deepEqual(Object.keys(manifest.counts.byLanguage).sort(), [...LANGUAGES].sort());
});

test('testbed build: drops are counted with reasons, and --limit stops at n pairs', async () => {
  const src = tempDir();
  cpSync(join(FIXTURES, 'code'), src, { recursive: true });
  const out = tempDir();
  const { manifest } = await buildTestbed({ corpus: src, out: join(out, 'tb'), intervention: 'drop-type-annotations' });
  assert.ok(manifest.drops['not defined for java'] >= 1);
  assert.ok(manifest.drops['no type annotations'] >= 1);
  assert.equal(manifest.counts.pairs, 1); // restock() is the one annotated Python function
  const limited = await buildTestbed({ corpus: src, out: join(out, 'lim'), intervention: 'reformat-whitespace', limit: 3 });
  assert.equal(limited.manifest.counts.pairs, 3);
  assert.equal(limited.manifest.options.limit, 3);
});

test('testbed build: a failed build leaves the previous testbed in place and no temporary folder', async () => {
  const dir = tempDir();
  const good = join(dir, 'good.jsonl');
  writeFileSync(good, '{"language": "python", "code": "def f(a):\\n    return a + 1\\n"}\n');
  const out = join(dir, 'testbeds', 'tb');
  await buildTestbed({ corpus: good, out, intervention: 'inject-bug' });
  const before = readFileSync(join(out, 'rows.jsonl'));
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"language": "python", "code": "def g(b):\\n    return b * 2\\n"}\nnot json\n');
  await assert.rejects(buildTestbed({ corpus: bad, out, intervention: 'inject-bug', strict: true }), (e: unknown) => e instanceof UserError && /bad\.jsonl:2/.test(e.message));
  assert.ok(readFileSync(join(out, 'rows.jsonl')).equals(before));
  assert.deepEqual(readdirSync(join(dir, 'testbeds')), ['tb']);
  await assert.rejects(buildTestbed({ corpus: good, out, intervention: 'no-such-thing' }), UsageError);
  await assert.rejects(buildTestbed({ corpus: good, out }), /exactly one of --intervention NAME or --treatment NAME/);
  await assert.rejects(buildTestbed({ corpus: good, out, intervention: 'mask-node', params: { nodeTyp: 'x' } }), /mask-node has no parameter 'nodeTyp'/);
});

test('testbed build: an observational treatment splits snippets; inspect reports balance', async () => {
  const csn = await writeCodeSearchNetTree();
  const out = join(tempDir(), 'obs');
  const { manifest } = await buildTestbed({ corpus: csn, out, treatment: 'uses-exceptions', partitions: ['train'] });
  assert.equal(manifest.design, 'observational');
  assert.ok(manifest.counts.treated > 0 && manifest.counts.control > 0);
  assert.equal(manifest.counts.pairs, 0);
  const rows = await rowsOf(out);
  assert.ok(rows.every((r) => r.pairId === null));
  const report = await inspectTestbed(openTestbed(out));
  assert.equal(report.rows, rows.length);
  const cyclomatic = report.covariates.find((c) => c.covariate === 'cyclomatic')!;
  assert.ok(Number.isFinite(cyclomatic.smd));
  assert.equal(cyclomatic.meanPairedDifference, null);
});

test('testbed inspect: removing comments shows up as a paired difference in comment covariates only', async () => {
  const src = tempDir();
  cpSync(join(FIXTURES, 'code'), src, { recursive: true });
  const out = join(tempDir(), 'rc');
  await buildTestbed({ corpus: src, out, intervention: 'remove-comments' });
  const report = await inspectTestbed(openTestbed(out));
  const by = Object.fromEntries(report.covariates.map((c) => [c.covariate, c]));
  assert.ok(by.comments.meanPairedDifference! + by.docstrings.meanPairedDifference! < 0);
  assert.equal(by.cyclomatic.meanPairedDifference, 0);
  assert.equal(by.errorNodes.meanPairedDifference, 0);
  assert.equal(by.comments.treated.mean, 0);
  assert.ok(!existsSync(join(out, '..', '.rc.building')));
});

test('testbed open: a missing testbed is a clear error', () => {
  assert.throws(() => openTestbed('/nonexistent/testbed'), /no testbed at \/nonexistent\/testbed/);
});

test('testbed build: the output does not depend on where the input lies', async () => {
  const corpus = join(FIXTURES, '..', '..', 'testbeds', 'corpus', 'default.jsonl.gz');
  const a = tempDir();
  const b = tempDir();
  cpSync(corpus, join(a, 'c.jsonl.gz'));
  cpSync(corpus, join(b, 'c.jsonl.gz'));
  await buildTestbed({ corpus: join(a, 'c.jsonl.gz'), out: join(a, 'tb'), intervention: 'inject-bug', limit: 20 });
  await buildTestbed({ corpus: join(b, 'c.jsonl.gz'), out: join(b, 'tb'), intervention: 'inject-bug', limit: 20 });
  assert.ok(readFileSync(join(a, 'tb', 'rows.jsonl')).equals(readFileSync(join(b, 'tb', 'rows.jsonl'))));
});
