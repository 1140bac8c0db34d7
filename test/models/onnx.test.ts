import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend, tf } from '../../src/train/backend.ts';
import { validateConfig } from '../../src/train/config.ts';
import { createModel } from '../../src/train/models/index.ts';
import { buildGptGraph } from '../../src/models/onnx/exportGpt.ts';
import { buildRnnGraph } from '../../src/models/onnx/exportRnn.ts';
import { encodeModel } from '../../src/util/onnx.ts';

const MODELS = [
  { type: 'gru', embedding: 24, units: 32, layers: 2 },
  { type: 'lstm', embedding: 32, units: 32, layers: 1, tiedEmbeddings: true },
  { type: 'lstm', embedding: 16, units: 24, layers: 2 },
  { type: 'gpt', width: 32, layers: 2, heads: 4 },
];

for (const spec of MODELS) {
  test(`onnx graph: a ${spec.type} (${JSON.stringify(spec)}) gives TensorFlow.js's logits on onnxruntime`, async () => {
    await selectBackend('cpu');
    const config = validateConfig({ model: { ...spec, context: 16, dropout: 0 } } as never);
    const model = createModel(config.model, 50, 3);
    // weights away from their initial values (zero biases, unit gains) so every layout is exercised
    for (const v of model.params.values()) v.assign(tf.add(v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 5), 0.3)));
    const [B, T] = [2, 9];
    const ids = Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % 50);
    const expected = model.forward(tf.tensor2d(ids, [B, T], 'int32'), false, 0).dataSync();
    const graph = spec.type === 'gpt' ? buildGptGraph(model).graph : buildRnnGraph(model).graph;
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(encodeModel(graph));
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [B, T]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(B * T).fill(1n), [B, T]),
    });
    assert.deepEqual(out.logits.dims, [B, T, 50]);
    const got = out.logits.data as Float32Array;
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-4, `logit ${i}: ${got[i]} vs ${expected[i]}`);
    await session.release();
    for (const v of model.params.values()) v.dispose();
  });
}

test('scoring head: log-probs, ranks and entropies of every position, computed in blocks of rows, equal float64 definitions for any number of positions', async () => {
  const { addScoringHead, rowsPerBlock } = await import('../../src/models/onnx/scoringHead.ts');
  const { DataType, floatTensor } = await import('../../src/util/onnx.ts');
  const [width, vocab] = [8, 2 ** 16]; // 16 rows per block
  const rows = 40; // three blocks; positions beyond them fall in the last
  assert.equal(rowsPerBlock(vocab), 16);
  const weight = Float32Array.from({ length: width * vocab }, (_, i) => Math.sin(i * 0.7) * 1.5);
  const graph = addScoringHead({
    name: 'projection',
    nodes: [{ op: 'MatMul', inputs: ['states', 'w'], outputs: ['logits'] }],
    initializers: [floatTensor('w', [width, vocab], weight)],
    inputs: [{ name: 'states', elemType: DataType.FLOAT, shape: ['batch_size', 'sequence_length', width] }],
    outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch_size', 'sequence_length', vocab] }],
  }, { product: 'logits', states: 'states', weight: 'w', width, vocab }, rows);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(encodeModel(graph));
  for (const n of [1, 15, 16, 17, 40, 57]) {
    const states = Float32Array.from({ length: n * width }, (_, i) => Math.cos(i * 1.3 + n));
    const targets = Array.from({ length: n }, (_, i) => (i * 7919 + n) % vocab);
    const out = await session.run({
      states: new ort.Tensor('float32', states, [1, n, width]),
      targets: new ort.Tensor('int64', BigInt64Array.from(targets, (t) => BigInt(t)), [1, n]),
    });
    for (const name of ['target_logprob', 'target_rank', 'entropy']) assert.deepEqual(out[name].dims, [1, n], `${name} for ${n} positions`);
    for (let r = 0; r < n; r++) {
      const x = Array.from({ length: vocab }, (_, j) => {
        let v = 0;
        for (let k = 0; k < width; k++) v += Math.fround(states[r * width + k]) * weight[k * vocab + j];
        return v;
      });
      const max = Math.max(...x);
      const lse = max + Math.log(x.reduce((s, v) => s + Math.exp(v - max), 0));
      const entropy = -x.reduce((s, v) => s + Math.exp(v - lse) * (v - lse), 0);
      const rank = 1 + x.filter((v) => v > x[targets[r]] + 1e-4).length;
      const ties = x.filter((v) => Math.abs(v - x[targets[r]]) <= 1e-4).length - 1;
      const at = `${n} positions, row ${r}`;
      assert.ok(Math.abs((out.target_logprob.data as Float32Array)[r] - (x[targets[r]] - lse)) < 1e-4, `${at}: log-prob`);
      assert.ok(Math.abs((out.entropy.data as Float32Array)[r] - entropy) < 1e-3, `${at}: entropy`);
      const got = (out.target_rank.data as Float32Array)[r];
      assert.ok(got >= rank && got <= rank + ties, `${at}: rank ${got} vs ${rank} (+${ties} near-ties)`);
    }
  }
  await session.release();
});
