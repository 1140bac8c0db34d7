import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readCorpus, resolveCorpus, SkipLog, type Snippet } from '../../src/corpus/index.ts';
import { LANGUAGES } from '../../src/languages/languages.ts';
import { UserError } from '../../src/util/errors.ts';
import { CODE_FIXTURES, FIXTURES, csnRecord, tempDir, writeCodeSearchNetTree } from '../helpers.ts';

async function collect(spec: string, options: Parameters<typeof readCorpus>[2] = {}, strict = false) {
  const warnings: string[] = [];
  const skips = new SkipLog({ strict, warn: (m) => warnings.push(m) });
  const snippets: Snippet[] = [];
  for await (const s of readCorpus(await resolveCorpus(spec, options), skips, options)) snippets.push(s);
  return { snippets, skips, warnings };
}

test('corpus: a CodeSearchNet tree in the original layout, with partitions and all fields', async () => {
  const root = await writeCodeSearchNetTree();
  const source = await resolveCorpus(root);
  assert.equal(source.kind, 'jsonl-tree');
  assert.equal(source.files.length, 12);
  const { snippets } = await collect(root, { partitions: ['test'], languages: ['go'] });
  assert.ok(snippets.length >= 2);
  const s = snippets[0];
  assert.equal(s.language, 'go');
  assert.equal(s.provenance.partition, 'test');
  assert.equal(s.provenance.repo, 'fixtures/go');
  assert.equal(s.provenance.funcName, 'f0');
  assert.equal(s.provenance.file, 'go/final/jsonl/test/go_test_0.jsonl.gz');
  assert.equal(s.provenance.record, 1);
  assert.equal(s.id, 'go_test_0:1');
  for (const field of ['original_string', 'code_tokens', 'docstring', 'docstring_tokens']) assert.ok(field in s.fields, field);
  const all = await collect(root);
  assert.equal(new Set(all.snippets.map((x) => x.language)).size, 6);
});

test('corpus: one .jsonl.gz file and a glob', async () => {
  const root = await writeCodeSearchNetTree();
  const one = await collect(join(root, 'python/final/jsonl/train/python_train_0.jsonl.gz'));
  assert.ok(one.snippets.length >= 3);
  assert.ok(one.snippets.every((s) => s.language === 'python'));
  const globbed = await collect(join(root, '*/final/jsonl/test/*.jsonl.gz'));
  assert.equal(new Set(globbed.snippets.map((s) => s.language)).size, 6);
  assert.ok(globbed.snippets.every((s) => s.provenance.partition === 'test'));
});

test('corpus: plain JSONL {id?, language, code}', async () => {
  const dir = tempDir();
  const file = join(dir, 'plain.jsonl');
  writeFileSync(file, '{"id": "a1", "language": "py", "code": "x = 1\\n"}\r\n{"language": "javascript", "code": "let y = 2;"}\n\n');
  const { snippets } = await collect(file);
  assert.deepEqual(snippets.map((s) => [s.id, s.language, s.code]), [['a1', 'python', 'x = 1\n'], ['plain:2', 'javascript', 'let y = 2;']]);
});

test('corpus: bad records are skipped with file, line and reason, and counted', async () => {
  const dir = tempDir();
  const file = join(dir, 'bad.jsonl.gz');
  const good = JSON.stringify({ language: 'python', code: 'pass' });
  const lines = [
    Buffer.from(`${good}\n`),
    Buffer.from('{"language": "python", "code": \n'), // malformed JSON
    Buffer.concat([Buffer.from('{"language": "python", "code": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]), // invalid UTF-8
    Buffer.from(`${JSON.stringify({ language: 'python', code: 'x'.repeat(5000) })}\n`), // over-long line
    Buffer.from('{"language": "python"}\n'), // missing code
    Buffer.from('{"language": "cobol", "code": "MOVE A TO B"}\n'), // unknown language
    Buffer.from('[1, 2]\n'), // not an object
    Buffer.from(`${good}`), // last line without newline
  ];
  writeFileSync(file, gzipSync(Buffer.concat(lines)));
  const { snippets, skips, warnings } = await collect(file, { maxLineBytes: 1000 });
  assert.equal(snippets.length, 2);
  assert.deepEqual(skips.summary(), {
    'invalid-utf8': 1, 'line-too-long': 1, 'malformed-json': 1, 'missing-field': 1, 'not-an-object': 1, 'unknown-language': 1,
  });
  const expectLine = (n: number, reason: string) => assert.ok(warnings.some((w) => w.includes(`bad.jsonl.gz:${n}: skipped (${reason})`)), `${reason} at line ${n}: ${warnings.join('\n')}`);
  expectLine(2, 'malformed-json');
  expectLine(3, 'invalid-utf8');
  expectLine(4, 'line-too-long');
  expectLine(5, 'missing-field');
  expectLine(6, 'unknown-language');
  expectLine(7, 'not-an-object');
  await assert.rejects(collect(file, { maxLineBytes: 1000 }, true), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /bad\.jsonl\.gz:2: malformed-json/);
    return true;
  });
});

test('corpus: a missing corpus is a clear error', async () => {
  await assert.rejects(resolveCorpus('/nonexistent/corpus.jsonl'), /corpus not found: \/nonexistent\/corpus\.jsonl/);
  await assert.rejects(resolveCorpus(join(tempDir(), '*.jsonl.gz')), /no files match/);
});

test('corpus: a source tree gives function-level snippets with path and line range, six languages', async () => {
  const dir = tempDir();
  cpSync(join(FIXTURES, 'code'), join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git', 'ignored.py'), 'def hidden():\n    return 1\n');
  const { snippets } = await collect(dir);
  const byLanguage = Object.fromEntries(LANGUAGES.map((l) => [l, snippets.filter((s) => s.language === l)]));
  for (const l of LANGUAGES) assert.ok(byLanguage[l].length >= 2, `${l}: ${byLanguage[l].length} snippets`);
  assert.ok(!snippets.some((s) => s.code.includes('hidden')));
  const restock = byLanguage.python.find((s) => s.provenance.funcName === 'restock')!;
  assert.equal(restock.provenance.file, `src/${CODE_FIXTURES.python}`);
  assert.equal(restock.provenance.startLine, 5);
  assert.equal(restock.provenance.endLine, 15);
  assert.equal(restock.id, 'src/inventory.py:5-15');
  assert.ok(restock.code.startsWith('def restock('));
  // a method is dedented, and a doc comment directly above a unit belongs to it
  const totals = byLanguage.python.find((s) => s.provenance.funcName === 'totals')!;
  assert.ok(totals.code.split('\n')[1].startsWith('    squares'));
  const trace = byLanguage.java.find((s) => s.provenance.funcName === 'trace')!;
  assert.ok(trace.code.startsWith('// Sum of the positive entries'));
  const pop = byLanguage.go.find((s) => s.provenance.funcName === 'Pop')!;
  assert.ok(pop.code.startsWith('// Pop removes'));
});
