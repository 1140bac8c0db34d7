/**
 * Log-probabilities from logits without an element-wise exp or log over the vocabulary. TensorFlow.js
 * wasm's Softmax runs through XNNPACK (0.4 ns per element here) while its Exp and LogSoftmax are scalar
 * loops (5-7 ns), and the output layer makes these the largest element-wise tensors of a step. The
 * log-sum-exp of a row follows from the softmax at the row's maximum: p_max = exp(x_max - lse), so
 * lse = x_max - log(p_max), and p_max >= 1/V never underflows.
 */
import { tf } from './backend.ts';

/** Per row of `logits` [N, V]: the softmax, and log-sum-exp [N]. */
export function softmaxAndLogSumExp(logits: tf.Tensor2D): { p: tf.Tensor2D; lse: tf.Tensor1D } {
  const p = tf.softmax(logits) as tf.Tensor2D;
  const lse = tf.sub(tf.max(logits, -1), tf.log(tf.max(p, -1))) as tf.Tensor1D;
  return { p, lse };
}

/** logits[i, targets[i]] for each row. */
export function pickTargets(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const [N, V] = logits.shape;
  const index = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), targets);
  return tf.gather(tf.reshape(logits, [N * V]), index) as tf.Tensor1D;
}

/**
 * Mean cross-entropy of `targets` [N] under `logits` [N, V], with the gradient (softmax - one-hot) / N
 * written out, so that backprop needs no Exp either.
 */
export function meanCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const [N, V] = logits.shape;
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const { p, lse } = softmaxAndLogSumExp(x);
    save([p]);
    return {
      value: tf.mean(tf.sub(lse, pickTargets(x, targets))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(tf.sub(saved, tf.oneHot(targets, V)), tf.div(dy, N)),
    };
  });
  return loss(logits) as tf.Scalar;
}
