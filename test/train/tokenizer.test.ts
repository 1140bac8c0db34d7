import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { CodeTokenizer, saveTokenizer, tokenizerFiles, trainBpe, trainBpeFromCounts } from '../../src/train/tokenizer.ts';
import { LANGUAGES } from '../../src/languages/languages.ts';
import { fixtureCode, tempDir } from '../helpers.ts';

async function trained(vocabSize = 600) {
  const dir = tempDir();
  const bpe = await trainBpe(LANGUAGES.map(fixtureCode), { vocabSize, specialTokens: ['<|endoftext|>', '<pad>'] });
  await saveTokenizer(dir, tokenizerFiles(bpe));
  return { dir, bpe, tokenizer: await CodeTokenizer.load(dir) };
}

test('tokenizer: round-trips arbitrary text (unicode, tabs, CRLF, emoji, control characters)', async () => {
  const { tokenizer } = await trained();
  const samples = [
    'def f(x):\n\treturn x  # é ü ß 😀 中文\r\n',
    '\t\t  \r\n\r\n\u0000\u0007 trailing  ',
    'a'.repeat(300),
    '',
    'mixed\u2028line\u00a0separators\ufeff',
    ...LANGUAGES.map(fixtureCode),
  ];
  for (const text of samples) {
    const { ids, offsets } = tokenizer.encode(text);
    assert.equal(tokenizer.decode(ids), text, JSON.stringify(text.slice(0, 40)));
    // offsets tile the text in order, in UTF-16 units
    let pos = 0;
    for (let t = 0; t < ids.length; t++) {
      assert.equal(offsets[2 * t], pos);
      assert.ok(offsets[2 * t + 1] >= offsets[2 * t]);
      pos = offsets[2 * t + 1];
    }
    assert.equal(pos, text.length);
  }
});

test('tokenizer: merges learned from code make common code words single tokens', async () => {
  const { tokenizer, bpe } = await trained(800);
  assert.ok(bpe.merges.length > 200);
  const { ids, offsets } = tokenizer.encode(' return');
  assert.equal(ids.length, 1, 'Ġreturn is one token');
  assert.deepEqual(Array.from(offsets), [0, 7]);
  // the emoji's four bytes may be split across tokens: every span still starts at a character boundary
  const e = tokenizer.encode('x = "😀"');
  for (let t = 0; t < e.ids.length; t++) assert.ok(e.offsets[2 * t] === 0 || !/[\udc00-\udfff]/.test('x = "😀"'[e.offsets[2 * t]]));
});

test('tokenizer: the saved files are Hugging Face tokenizer.json / tokenizer_config.json, loaded by the HF library', async () => {
  const { dir, bpe } = await trained();
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  assert.equal(json.model.type, 'BPE');
  assert.equal(json.pre_tokenizer.type, 'ByteLevel');
  assert.equal(Object.keys(json.model.vocab).length, bpe.vocab.size);
  assert.equal(config.eos_token, '<|endoftext|>');
  const hf = new Tokenizer(json, config);
  assert.deepEqual(hf.encode('<|endoftext|>', { add_special_tokens: false }).ids, [0]);
  assert.equal(hf.decode(hf.encode('for i in range(3):', { add_special_tokens: false }).ids), 'for i in range(3):');
});

test('tokenizer: training is deterministic, respects min frequency, and rejects a vocabulary below the bytes', async () => {
  const counts = new Map([['ab', 5], ['abc', 3], ['xy', 1]]);
  const a = trainBpeFromCounts(counts, { vocabSize: 300, minFrequency: 2 });
  const b = trainBpeFromCounts(new Map([...counts].reverse()), { vocabSize: 300, minFrequency: 2 });
  assert.deepEqual(a.merges, b.merges);
  assert.deepEqual(a.merges, [['a', 'b'], ['ab', 'c']]); // xy occurs once: below min frequency
  assert.throws(() => trainBpeFromCounts(counts, { vocabSize: 100 }), /below the 256 byte symbols/);
  await assert.rejects(CodeTokenizer.load(tempDir()), /cannot load a tokenizer/);
});
