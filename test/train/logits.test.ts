import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend, tf } from '../../src/train/backend.ts';
import { meanCrossEntropy } from '../../src/train/logits.ts';
import { tokenStatistics } from '../../src/models/builtin.ts';

// rows of ordinary logits, one with a 200-logit gap (probabilities below float32's range) and a flat one
const V = 7;
const ROWS = [
  [0.3, -1.2, 2.5, 0.0, 1.1, -0.4, 0.9],
  [200, 0, -3, 1, 2, 0.5, -200],
  [1, 1, 1, 1, 1, 1, 1],
  [-5, 4, 3.9, -2, 0, 8, 7.5],
];
const TARGETS = [2, 6, 3, 1];

/** The float64 reference: log-softmax, entropy and rank by definition. */
function reference(row: number[], target: number) {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  const logp = row.map((x) => x - lse);
  return {
    logprob: logp[target],
    entropy: -logp.reduce((s, l) => s + (Number.isFinite(l) ? Math.exp(l) * l : 0), 0),
    rank: 1 + row.filter((x) => x > row[target]).length,
    grad: logp.map((l, j) => (Math.exp(l) - (j === target ? 1 : 0)) / ROWS.length),
  };
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`logits (${backend}): cross-entropy and its gradient, log-probs, ranks and entropies agree with float64 definitions`, async () => {
    await selectBackend(backend);
    const expected = ROWS.map((r, i) => reference(r, TARGETS[i]));
    const logits = tf.tensor2d(ROWS);
    const targets = tf.tensor1d(TARGETS, 'int32');
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => meanCrossEntropy(x as tf.Tensor2D, targets))(logits);
    const loss = -expected.reduce((s, e) => s + e.logprob, 0) / ROWS.length;
    assert.ok(Math.abs(value.dataSync()[0] - loss) < 1e-4 * Math.abs(loss), `loss ${value.dataSync()[0]} vs ${loss}`);
    const g = grad.dataSync();
    expected.forEach((e, i) => e.grad.forEach((v, j) => assert.ok(Math.abs(g[i * V + j] - v) < 1e-6, `grad[${i},${j}] ${g[i * V + j]} vs ${v}`)));
    const stats = tokenStatistics(logits, Int32Array.from(TARGETS));
    expected.forEach((e, i) => {
      assert.ok(Math.abs(stats.logprobs[i] - e.logprob) < 1e-5 * Math.max(1, Math.abs(e.logprob)), `logprob ${i}: ${stats.logprobs[i]} vs ${e.logprob}`);
      assert.ok(Math.abs(stats.entropy[i] - e.entropy) < 1e-4, `entropy ${i}: ${stats.entropy[i]} vs ${e.entropy}`);
      assert.equal(stats.ranks[i], e.rank);
    });
  });
}
