/**
 * Generation with the KV cache against decoding without one: TensorFlow.js's model (train/models/gpt.ts,
 * an independent implementation) recomputes the whole sequence at every step and takes the argmax.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseToken, openGenerator, type Generator } from '../../src/models/generate.ts';
import { createRandom } from '../../src/util/random.ts';
import { argmax, demoLogSoftmax, disposeReference } from './reference.ts';

const PROMPTS = ['def add(a, b):\n    return', 'import os\n', 'class Stack:\n    def push(self, item):\n        self.items.append(', 'x'];

let generator: Generator | undefined;
const open = async () => (generator ??= await openGenerator('builtin:demo'));

test('generate: greedy decoding with the KV cache equals greedy decoding over the full sequence, one prompt or a left-padded batch', async () => {
  const g = await open();
  const batch = await g.generate(PROMPTS, { maxTokens: 24 });
  for (const [i, prompt] of PROMPTS.entries()) {
    const [alone] = (await g.generate([prompt], { maxTokens: 24 }))[0];
    assert.deepEqual(batch[i][0].ids, alone.ids, `prompt ${i}: the batch does not change the completion`);
    const seq = [g.eos, ...g.encode(prompt)];
    const want: number[] = [];
    for (let step = 0; step < 24; step++) {
      const lp = (await demoLogSoftmax([...seq, ...want])).at(-1)!;
      const best = argmax(lp);
      assert.ok(Math.abs(alone.logprobs[want.length] - lp[best]) < 1e-4, `prompt ${i} step ${step}: log-prob ${alone.logprobs[want.length]} vs ${lp[best]}`);
      want.push(best);
      if (best === g.eos) break;
    }
    assert.deepEqual(alone.ids, want, `prompt ${i}`);
    assert.equal(alone.text, g.decode(want.filter((id) => id !== g.eos)));
    assert.equal(alone.finishReason, want.at(-1) === g.eos ? 'stop' : 'length');
    assert.equal(alone.promptTokens, seq.length - 1);
  }
});

test('generate: max tokens, stop sequences, n, the context, and bad options', async () => {
  const g = await open();
  const [[full]] = await g.generate([PROMPTS[2]], { maxTokens: 30 });
  assert.equal(full.finishReason, 'length');
  assert.equal(full.ids.length, 30);
  // a stop sequence taken from the greedy text ends it there, the text cut before it
  const stop = full.text.slice(5, 8);
  const [[cut]] = await g.generate([PROMPTS[2]], { maxTokens: 30, stop: ['@@never@@', stop] });
  assert.equal(cut.finishReason, 'stop');
  assert.equal(cut.stopSequence, stop);
  assert.equal(cut.text, full.text.slice(0, full.text.indexOf(stop)));
  assert.ok(g.decode(cut.ids).includes(stop), 'the tokens keep the one that completed the stop sequence');
  assert.deepEqual(cut.ids, full.ids.slice(0, cut.ids.length));
  const [greedy3] = await g.generate([PROMPTS[0]], { maxTokens: 5, n: 3 });
  assert.equal(greedy3.length, 3);
  assert.ok(greedy3.every((c) => JSON.stringify(c.ids) === JSON.stringify(greedy3[0].ids)), 'greedy samples are equal');
  // the context (128) bounds prompt + completion
  const long = Array.from({ length: 120 }, () => 66);
  const [[edge]] = await g.generate([long], { maxTokens: 50 });
  assert.equal(edge.finishReason, 'length');
  assert.equal(edge.ids.length, 128 - 121 + 1, 'the last token comes from the output at position 127');
  const edgeWant = (await demoLogSoftmax([g.eos, ...long, ...edge.ids.slice(0, -1)])).at(-1)!;
  assert.equal(edge.ids.at(-1), argmax(edgeWant));
  const [[last]] = await g.generate([Array.from({ length: 127 }, () => 66)], { maxTokens: 5 });
  assert.equal(last.ids.length, 1);
  await assert.rejects(g.generate([Array.from({ length: 128 }, () => 66)], { maxTokens: 1 }), /that is more than the context of 128 holds/);
  await assert.rejects(g.generate(['x'], { maxTokens: -1 }), /maxTokens must be a whole number >= 0/);
  await assert.rejects(g.generate(['x'], { topP: 0 }), /topP must lie in \(0, 1\]/);
  await assert.rejects(g.generate([[5000]]), /token id 5000 is not in the vocabulary/);
  const [[none]] = await g.generate(['x'], { maxTokens: 0 });
  assert.deepEqual([none.ids, none.finishReason], [[], 'length']);
});

test('generate: seeded sampling repeats, differs by seed, and top-k 1 or a tiny top-p is greedy', async () => {
  const g = await open();
  const a = await g.generate(PROMPTS, { maxTokens: 12, temperature: 1, seed: 7, n: 2 });
  const b = await g.generate([...PROMPTS].reverse(), { maxTokens: 12, temperature: 1, seed: 7, n: 2 });
  assert.deepEqual(a.map((cs) => cs.map((c) => c.ids)), [...b].reverse().map((cs) => cs.map((c) => c.ids)), 'the same seed gives the same completions whatever the batch');
  const c = await g.generate(PROMPTS, { maxTokens: 12, temperature: 1, seed: 8, n: 2 });
  assert.notDeepEqual(a.map((cs) => cs.map((x) => x.ids)), c.map((cs) => cs.map((x) => x.ids)));
  assert.notDeepEqual(a[0][0].ids, a[0][1].ids, 'two samples of one prompt differ');
  const greedy = await g.generate(PROMPTS, { maxTokens: 12 });
  const k1 = await g.generate(PROMPTS, { maxTokens: 12, temperature: 1.5, topK: 1, seed: 3 });
  const p0 = await g.generate(PROMPTS, { maxTokens: 12, temperature: 1.5, topP: 1e-9, seed: 3 });
  assert.deepEqual(k1.map((cs) => cs[0].ids), greedy.map((cs) => cs[0].ids));
  assert.deepEqual(p0.map((cs) => cs[0].ids), greedy.map((cs) => cs[0].ids));
});

test('chooseToken: draws follow softmax(logits / T) within the top k and the nucleus', () => {
  const logits = Float32Array.from([2, 1, 0, -1]);
  const count = (options: { temperature: number; topP: number; topK: number }) => {
    const random = createRandom(11);
    const n = new Array<number>(4).fill(0);
    for (let i = 0; i < 40_000; i++) n[chooseToken(logits, options, random).id]++;
    return n.map((v) => v / 40_000);
  };
  const softmax = (xs: number[]) => { const e = xs.map(Math.exp); const s = e.reduce((a, b) => a + b); return e.map((v) => v / s); };
  const all = count({ temperature: 2, topP: 1, topK: 0 });
  softmax([1, 0.5, 0, -0.5]).forEach((p, i) => assert.ok(Math.abs(all[i] - p) < 0.01, `T=2 token ${i}: ${all[i]} vs ${p}`));
  const top2 = count({ temperature: 1, topP: 1, topK: 2 });
  softmax([2, 1]).forEach((p, i) => assert.ok(Math.abs(top2[i] - p) < 0.01));
  assert.equal(top2[2] + top2[3], 0);
  // the nucleus of p = 0.7: token 0 has 0.644, so tokens 0 and 1 (0.881) are kept
  const nucleus = count({ temperature: 1, topP: 0.7, topK: 0 });
  softmax([2, 1]).forEach((p, i) => assert.ok(Math.abs(nucleus[i] - p) < 0.01));
  assert.equal(nucleus[2] + nucleus[3], 0);
  const pick = chooseToken(logits, { temperature: 0, topP: 1, topK: 0 }, undefined);
  assert.equal(pick.id, 0);
  assert.ok(Math.abs(pick.logprob - (2 - Math.log(Math.exp(2) + Math.exp(1) + 1 + Math.exp(-1)))) < 1e-6);
});

test.after(async () => {
  await generator?.dispose();
  disposeReference();
});
