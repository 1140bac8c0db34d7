/**
 * Corpus selection (issue 13, item 8): splits keep files (repositories) whole and disjoint; a
 * seeded sample is uniform and does not depend on the order the corpus is read in; a model folder's
 * training record tells a report which test functions the model was trained on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeHash, hashUnit, parseSplitParts, PerLanguageSample, splitPart, type CorpusSplit } from '../../src/corpus/select.ts';
import type { Snippet } from '../../src/corpus/types.ts';
import { readTrainingCorpus, recordTrainingCorpus } from '../../src/train/corpusRecord.ts';
import { splitOf } from '../../src/train/data.ts';
import { tempDir } from '../helpers.ts';

const snippet = (id: string, file: string, repo?: string, language: Snippet['language'] = 'python'): Snippet => ({ id, language, code: `def ${id.replace(/\W/g, '_')}(): pass`, provenance: { file, repo }, fields: {} });

test('split: every function of a file (or repository) falls in one part; parts are disjoint and near their fractions', () => {
  const split: CorpusSplit = { by: 'file', parts: parseSplitParts('train=0.8,test=0.2'), take: 'test', seed: 3 };
  const snippets = Array.from({ length: 4000 }, (_, i) => snippet(`s${i}`, `repo${i % 40}/file${i % 1000}.py`, `repo${i % 40}`));
  const partOfFile = new Map<string, string>();
  let test = 0;
  for (const s of snippets) {
    const part = splitPart(s, split);
    const before = partOfFile.get(s.provenance.file);
    assert.ok(before === undefined || before === part, `${s.provenance.file} is split across parts`);
    partOfFile.set(s.provenance.file, part);
    if (part === 'test') test++;
  }
  assert.ok(Math.abs(test / snippets.length - 0.2) < 0.04, `test share ${test / snippets.length}`);
  const byRepo = { ...split, by: 'repo' as const };
  const partOfRepo = new Map<string, string>();
  for (const s of snippets) {
    const part = splitPart(s, byRepo);
    assert.ok((partOfRepo.get(s.provenance.repo!) ?? part) === part, 'a repository is kept whole');
    partOfRepo.set(s.provenance.repo!, part);
  }
  assert.throws(() => parseSplitParts('train=0.8,test=0.3'), /sum to/);
  assert.throws(() => parseSplitParts('train=0.8'), /at least two/);
  assert.throws(() => parseSplitParts('train=0.5,train=0.5'), /twice/);
});

test('sample: a seeded bottom-k sample per language, the same whatever the reading order, each unit equally likely', () => {
  const items = Array.from({ length: 200 }, (_, i) => snippet(`f${i}`, `f${i}.py`, undefined, i % 2 ? 'go' : 'python'));
  const draw = (order: Snippet[], seed: number) => {
    const sample = new PerLanguageSample<string>(10, seed);
    for (const s of order) sample.offer(s.language, sample.priority(s), s.id);
    return sample.take();
  };
  const forward = draw(items, 1);
  assert.equal(forward.length, 20, '10 per language');
  assert.deepEqual([...draw([...items].reverse(), 1)].sort(), [...forward].sort(), 'reading order does not matter');
  // inclusion probability 10/100 per language: over 400 seeds each unit is drawn about 40 times
  const counts = new Map<string, number>();
  for (let seed = 0; seed < 400; seed++) for (const id of draw(items, seed)) counts.set(id, (counts.get(id) ?? 0) + 1);
  const values = items.map((s) => counts.get(s.id) ?? 0);
  const meanCount = values.reduce((a, b) => a + b, 0) / values.length;
  assert.equal(meanCount, 40);
  const chi2 = values.reduce((a, v) => a + (v - 40) ** 2 / 40, 0);
  assert.ok(chi2 < 270, `chi-square ${chi2.toFixed(1)} on 199 df: inclusion is uniform`); // 99.9th percentile of chi2(199) ~ 268
  assert.ok(hashUnit(0, 'a') !== hashUnit(1, 'a'));
});

test('training record: the training split\'s code hashes, read back; a broken record is a clear error', async () => {
  const dir = tempDir();
  const corpus = join(dir, 'corpus.jsonl');
  const records = Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, language: 'python', code: `def f${i}():\n    return ${i}\n` }));
  writeFileSync(corpus, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const out = join(dir, 'model');
  mkdirSync(out);
  const record = await recordTrainingCorpus(out, { corpus, validFraction: 0.2 });
  const train = records.filter((r) => splitOf({ id: r.id, language: 'python', code: r.code, provenance: { file: 'corpus.jsonl' }, fields: {} }, 0.2) === 'train');
  assert.equal(record.snippets, train.length);
  assert.deepEqual(readTrainingCorpus(out)!.codeHashes, train.map((r) => codeHash(r.code)).sort());
  writeFileSync(join(out, 'training-corpus.json'), '{"format": "codegen-eval/training-corpus@1", "codeHashes": ["xyz"]}');
  assert.throws(() => readTrainingCorpus(out), /training-corpus\.json: not a codegen-eval\/training-corpus@1 record/);
  assert.equal(readTrainingCorpus(dir), null);
});
