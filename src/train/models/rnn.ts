/**
 * A recurrent language model (Hochreiter & Schmidhuber 1997; Cho et al. 2014): token embedding, one or
 * more GRU or LSTM layers (PyTorch's gate conventions: GRU n = tanh(W_n x + b_in + r * (U_n h + b_hn)),
 * LSTM forget-gate bias 1), dropout between layers, and an output layer (tied to the embedding when
 * `tiedEmbeddings` and embedding = units). The input projections of a layer are computed for all steps
 * at once; only the recurrent products run step by step.
 */
import { tf } from '../backend.ts';
import type { ModelConfig } from '../config.ts';
import { dropout, instancePrefix, param, type LanguageModel } from './model.ts';

export function createRnn(config: ModelConfig, vocabSize: number, seed: number): LanguageModel {
  const { embedding: E, units: U, layers: L } = config;
  const gru = config.type === 'gru';
  const G = gru ? 3 : 4;
  const params = new Map<string, tf.Variable>();
  const prefix = instancePrefix();
  let s = seed;
  const init = (fanIn: number) => ({ std: 1 / Math.sqrt(fanIn), seed: s++ });
  const emb = param(params, 'emb', [vocabSize, E], { std: 0.02, seed: s++ }, prefix);
  const layers = Array.from({ length: L }, (_, l) => {
    const input = l === 0 ? E : U;
    const wx = param(params, `l${l}.wx`, [input, G * U], init(input), prefix);
    const wh = param(params, `l${l}.wh`, [U, G * U], init(U), prefix);
    // biases: GRU keeps the recurrent candidate bias apart (b_hn); LSTM's forget gate starts at 1
    const bias = gru ? tf.zeros([G * U]) : tf.concat([tf.zeros([U]), tf.ones([U]), tf.zeros([2 * U])]);
    const bx = tf.variable(bias, true, `${prefix}l${l}.b`);
    bias.dispose();
    params.set(`l${l}.b`, bx);
    const bhn = gru ? param(params, `l${l}.bhn`, [U], 0) : null;
    return { wx, wh, bx, bhn };
  });
  const tied = config.tiedEmbeddings && E === U;
  const out = tied ? null : param(params, 'out.w', [U, vocabSize], init(U), prefix);
  const outBias = param(params, 'out.b', [vocabSize], 0, prefix);

  function forward(ids: tf.Tensor2D, training: boolean, seed: number): tf.Tensor3D {
    const [B, T] = ids.shape;
    let k = seed;
    let x: tf.Tensor = dropout(tf.gather(emb, ids), config.dropout, training, k++);
    for (const layer of layers) {
      const input = x.shape[2]!;
      const xw = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [B * T, input]), layer.wx), layer.bx), [B, T, G * U]);
      const steps = tf.unstack(xw, 1);
      let h: tf.Tensor = tf.zeros([B, U]);
      let c: tf.Tensor = tf.zeros([B, U]);
      const hs: tf.Tensor[] = [];
      for (const xt of steps) {
        const hw = tf.matMul(h, layer.wh);
        if (gru) {
          const [xz, xr, xn] = tf.split(xt, 3, 1);
          const [hz, hr, hn] = tf.split(hw, 3, 1);
          const z = tf.sigmoid(tf.add(xz, hz));
          const r = tf.sigmoid(tf.add(xr, hr));
          const n = tf.tanh(tf.add(xn, tf.mul(r, tf.add(hn, layer.bhn!))));
          h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
        } else {
          const [i, f, g, o] = tf.split(tf.add(xt, hw), 4, 1);
          c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
          h = tf.mul(tf.sigmoid(o), tf.tanh(c));
        }
        hs.push(h);
      }
      x = dropout(tf.stack(hs, 1), config.dropout, training, k++);
    }
    const flat = tf.reshape(x, [B * T, U]);
    const logits = tf.add(out ? tf.matMul(flat, out) : tf.matMul(flat, emb, false, true), outBias);
    return tf.reshape(logits, [B, T, vocabSize]) as tf.Tensor3D;
  }
  return { config, vocabSize, params, forward };
}
