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
