/**
 * A recurrent language model (Hochreiter & Schmidhuber 1997; Cho et al. 2014): token embedding, one or
 * more GRU or LSTM layers (PyTorch's gate conventions: GRU n = tanh(W_n x + b_in + r * (U_n h + b_hn)),
 * LSTM forget-gate bias 1), dropout between layers, and an output layer (tied to the embedding when
 * `tiedEmbeddings` and embedding = units). The input projections of a layer are computed for all steps
 * at once; only the recurrent products run step by step. A GRU layer's backward pass through time is
 * written out (as cuDNN and PyTorch do) instead of taped op by op: the recurrent weight's gradient is
 * one product over all steps, and a step costs a third of the kernel calls.
 */
import { tf } from '../backend.ts';
import type { ModelConfig } from '../config.ts';
import { dropout, instancePrefix, param, type LanguageModel } from './model.ts';

/**
 * All hidden states [B, T, U] of a GRU layer from h0 = 0, given the input projections xw [B, T, 3U]
 * (x W_x + b, gates in the order z, r, n), the recurrent weight wh [U, 3U] and the candidate's
 * recurrent bias bhn [U], with its gradient through time written out:
 *   z = sigma(xz + hz), r = sigma(xr + hr), a = hn + bhn, n = tanh(xn + r a), h' = (1 - z) n + z h;
 *   given dh: dn~ = dh (1 - z)(1 - n^2), dz~ = dh (h - n) z (1 - z), dr~ = dn~ a r (1 - r),
 *   d(xz, xr, xn) = (dz~, dr~, dn~), d(hz, hr, hn) = (dz~, dr~, dn~ r), dh_prev = dh z + d(hw) wh^T,
 *   d wh = sum_t h_prev^T d(hw), d bhn = sum_t dn~ r.
 */
export function gruLayer(xw: tf.Tensor3D, wh: tf.Tensor2D, bhn: tf.Tensor1D): tf.Tensor3D {
  const layer = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xwIn, whIn, bhnIn, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const [B, T, G] = xwIn.shape;
    const U = G / 3;
    let h: tf.Tensor2D = tf.zeros([B, U]);
    const hs: tf.Tensor2D[] = [];
    const saved: tf.Tensor[] = [];
    for (const xt of tf.unstack(xwIn, 1)) {
      const [xz, xr, xn] = tf.split(xt, 3, 1);
      const [hz, hr, hn] = tf.split(tf.matMul(h, whIn), 3, 1);
      const z = tf.sigmoid(tf.add(xz, hz));
      const r = tf.sigmoid(tf.add(xr, hr));
      const a = tf.add(hn, bhnIn);
      const n = tf.tanh(tf.add(xn, tf.mul(r, a)));
      saved.push(h, z, r, a, n);
      h = tf.add(n, tf.mul(z, tf.sub(h, n)));
      hs.push(h);
    }
    save([whIn, ...saved]);
    return {
      value: tf.stack(hs, 1) as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, [whSaved, ...steps]: tf.Tensor[]) => {
        const dys = tf.unstack(dy, 1);
        const whT = tf.transpose(whSaved);
        const dxs: tf.Tensor[] = new Array(T);
        const dhws: tf.Tensor[] = new Array(T);
        let dhNext: tf.Tensor | null = null;
        for (let t = T - 1; t >= 0; t--) {
          const [hPrev, z, r, a, n] = steps.slice(5 * t, 5 * t + 5);
          const dh: tf.Tensor = dhNext ? tf.add(dys[t], dhNext) : dys[t];
          const dn = tf.mul(tf.mul(dh, tf.sub(1, z)), tf.sub(1, tf.square(n)));
          const dz = tf.mul(tf.mul(dh, tf.sub(hPrev, n)), tf.mul(z, tf.sub(1, z)));
          const dr = tf.mul(tf.mul(dn, a), tf.mul(r, tf.sub(1, r)));
          const dhn = tf.mul(dn, r);
          dxs[t] = tf.concat([dz, dr, dn], 1);
          dhws[t] = tf.concat([dz, dr, dhn], 1);
          dhNext = tf.add(tf.mul(dh, z), tf.matMul(dhws[t], whT));
        }
        const dhw = tf.reshape(tf.stack(dhws, 0), [T * B, G]);
        const hPrevAll = tf.reshape(tf.stack(steps.filter((_, i) => i % 5 === 0), 0), [T * B, U]);
        return [
          tf.stack(dxs, 1),
          tf.matMul(hPrevAll, dhw, true, false),
          tf.sum(tf.slice(dhw, [0, 2 * U], [T * B, U]), 0),
        ];
      },
    };
  });
  return layer(xw, wh, bhn) as tf.Tensor3D;
}

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
      if (gru) {
        x = dropout(gruLayer(xw as tf.Tensor3D, layer.wh as tf.Tensor2D, layer.bhn as tf.Tensor1D), config.dropout, training, k++);
        continue;
      }
      const steps = tf.unstack(xw, 1);
      let h: tf.Tensor = tf.zeros([B, U]);
      let c: tf.Tensor = tf.zeros([B, U]);
      const hs: tf.Tensor[] = [];
      for (const xt of steps) {
        const [i, f, g, o] = tf.split(tf.add(xt, tf.matMul(h, layer.wh)), 4, 1);
        c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        h = tf.mul(tf.sigmoid(o), tf.tanh(c));
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
