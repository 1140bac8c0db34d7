/**
 * hf: folders as they come from the hub or Optimum: any folder name, weights in external data,
 * the weights file chosen by dtype as transformers.js names it, and tokenizers whose spans cannot be
 * derived exactly refused before the model loads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openModel } from '../../src/models/index.ts';
import { exportGptToOnnx } from '../../src/models/onnx/exportGpt.ts';
import { scoreTestbed } from '../../src/score/score.ts';
import { buildTestbed } from '../../src/testbeds/build.ts';
import { tempDir } from '../helpers.ts';

const TEXT = 'def add(a, b):\n    return a + b  # é\n';

async function builtinScores(): Promise<Float64Array> {
  const builtin = await openModel('builtin:demo');
  try {
    return (await builtin.score(TEXT, 'x')).logprobs;
  } finally {
    await builtin.dispose();
  }
}

test('hf: a folder whose name has a space and a non-ASCII letter scores as builtin does', async () => {
  const dir = join(tempDir(), 'my model é');
  await exportGptToOnnx('builtin:demo', dir);
  const hf = await openModel(`hf:${dir}`);
  try {
    const got = (await hf.score(TEXT, 'x')).logprobs;
    const want = await builtinScores();
    want.forEach((v, j) => assert.ok(Math.abs(got[j] - v) < 1e-4, `token ${j}`));
  } finally {
    await hf.dispose();
  }
});

test('hf: weights in external data (model.onnx + model.onnx_data) are scored, and a change to them alone is rescored', async () => {
  const dir = join(tempDir(), 'external');
  await exportGptToOnnx('builtin:demo', dir, { externalData: true });
  const data = join(dir, 'onnx', 'model.onnx_data');
  assert.ok(existsSync(data));
  assert.ok(statSync(join(dir, 'onnx', 'model.onnx')).size < statSync(data).size / 10, 'the graph file holds no weights');
  const corpus = join(tempDir(), 'c.jsonl');
  writeFileSync(corpus, `${JSON.stringify({ id: 'a', language: 'python', code: TEXT.replace('# é', '# sum') })}\n${JSON.stringify({ id: 'b', language: 'python', code: 'def g(x):\n    # twice\n    return 2 * x\n' })}\n`);
  const testbed = join(tempDir(), 'tb');
  await buildTestbed({ corpus, out: testbed, intervention: 'remove-comments' });
  const db = join(tempDir(), 'scores.duckdb');

  const before = await openModel(`hf:${dir}`);
  const first = await scoreTestbed({ model: before, testbed, db, quiet: true });
  const scoresBefore = (await before.score(TEXT, 'x')).logprobs;
  await before.dispose();
  const want = await builtinScores();
  want.forEach((v, j) => assert.ok(Math.abs(scoresBefore[j] - v) < 1e-4, `token ${j}`));

  // other weights in model.onnx_data, model.onnx untouched
  const bytes = readFileSync(data);
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  for (let i = 0; i < floats.length; i += 7) floats[i] *= 1.5;
  writeFileSync(data, bytes);
  const after = await openModel(`hf:${dir}`);
  try {
    assert.notEqual(after.identity, before.identity, 'the identity covers the external data');
    const second = await scoreTestbed({ model: after, testbed, db, quiet: true });
    assert.notEqual(second.runId, first.runId);
    assert.equal(second.alreadyScored, 0, 'nothing stale is reused');
    assert.equal(second.scoredNow, second.rows);
    const scoresAfter = (await after.score(TEXT, 'x')).logprobs;
    assert.ok(scoresAfter.some((v, j) => Math.abs(v - scoresBefore[j]) > 1e-3), 'the new weights give other scores');
  } finally {
    await after.dispose();
  }
  // a missing external data file is a clear error
  const broken = join(tempDir(), 'broken');
  await exportGptToOnnx('builtin:demo', broken, { externalData: true });
  const { rmSync } = await import('node:fs');
  rmSync(join(broken, 'onnx', 'model.onnx_data'));
  await assert.rejects(openModel(`hf:${broken}`), /keeps its weights in model\.onnx_data, which is not in/);
});

test('hf: --dtype chooses the weights file by transformers.js\'s names; a missing one says what there is', async () => {
  const dir = join(tempDir(), 'dtypes');
  await exportGptToOnnx('builtin:demo', dir);
  await assert.rejects(openModel(`hf:${dir}`, { dtype: 'q8' }), (e: Error) => /missing onnx\/model_quantized\.onnx/.test(e.message) && /model\.onnx: choose one with --dtype/.test((e as Error & { hint?: string }).hint ?? ''));
  const fp32 = await openModel(`hf:${dir}`);
  copyFileSync(join(dir, 'onnx', 'model.onnx'), join(dir, 'onnx', 'model_quantized.onnx'));
  const q8 = await openModel(`hf:${dir}`, { dtype: 'q8' });
  try {
    assert.equal(q8.info.weights, join('onnx', 'model_quantized.onnx'));
    assert.notEqual(q8.identity, fp32.identity, 'the dtype is part of the identity');
    assert.deepEqual(Array.from((await q8.score(TEXT, 'x')).logprobs), Array.from((await fp32.score(TEXT, 'x')).logprobs));
  } finally {
    await q8.dispose();
    await fp32.dispose();
  }
});

test('hf: a SentencePiece (Metaspace, byte fallback) or WordPiece tokenizer is a clear error before the model loads', async () => {
  const dir = join(tempDir(), 'llama-like');
  await exportGptToOnnx('builtin:demo', dir);
  const tokenizer = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  const llama = { ...tokenizer, pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false }, decoder: { type: 'Sequence', decoders: [{ type: 'Replace' }, { type: 'ByteFallback' }, { type: 'Fuse' }] }, model: { ...tokenizer.model, byte_fallback: true } };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(llama));
  await assert.rejects(openModel(`hf:${dir}`), (e: Error) => e.name === 'UserError' && /is a SentencePiece-style tokenizer/.test(e.message) && /not scored/.test(e.message));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ ...tokenizer, pre_tokenizer: { type: 'BertPreTokenizer' }, decoder: { type: 'WordPiece' }, model: { type: 'WordPiece', vocab: {} } }));
  await assert.rejects(openModel(`hf:${dir}`), /is a WordPiece tokenizer/);
});
