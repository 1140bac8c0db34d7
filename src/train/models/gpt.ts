/**
 * A GPT decoder (Radford et al. 2019), as nanoGPT writes it: token and position embeddings, pre-norm
 * blocks of causal multi-head self-attention and a GELU MLP (4x width), a final layer norm, and an
 * output layer tied to the token embedding (or its own). Initialisation as GPT-2: N(0, 0.02), with the
 * residual projections scaled by 1/sqrt(2 * layers).
 */
import { tf } from '../backend.ts';
import type { ModelConfig } from '../config.ts';
import { dropout, instancePrefix, param, type LanguageModel } from './model.ts';

function layerNorm(x: tf.Tensor, g: tf.Variable, b: tf.Variable): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
}

const GELU_A = 2 * Math.sqrt(2 / Math.PI);
const GELU_B = GELU_A * 0.044715;

/**
 * GELU, tanh approximation (Hendrycks & Gimpel 2016), as GPT-2: 0.5 x (1 + tanh(u)) with
 * u = sqrt(2/pi) (x + 0.044715 x^3), computed as x s with s = sigmoid(2u) = sigmoid(x (A + B x^2)),
 * the same function (1 + tanh u = 2 sigmoid 2u) in fewer passes; its gradient is written out,
 * s + x s (1 - s) (A + 3 B x^2), instead of taped through every element-wise op.
 */
export const gelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const x2 = tf.square(x);
  const s = tf.sigmoid(tf.mul(x, tf.add(tf.mul(x2, GELU_B), GELU_A)));
  save([x, x2, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, [xs, x2s, ss]: tf.Tensor[]) => {
      const slope = tf.add(tf.mul(x2s, 3 * GELU_B), GELU_A);
      return tf.mul(dy, tf.add(ss, tf.mul(tf.mul(xs, tf.mul(ss, tf.sub(1, ss))), slope)));
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

export function createGpt(config: ModelConfig, vocabSize: number, seed: number): LanguageModel {
  const { width: d, layers: L, heads: H, context } = config;
  const params = new Map<string, tf.Variable>();
  const prefix = instancePrefix();
  let s = seed;
  const init = (std: number) => ({ std, seed: s++ });
  const wte = param(params, 'wte', [vocabSize, d], init(0.02), prefix);
  const wpe = param(params, 'wpe', [context, d], init(0.02), prefix);
  const blocks = Array.from({ length: L }, (_, l) => ({
    ln1g: param(params, `h${l}.ln1.g`, [d], 1, prefix),
    ln1b: param(params, `h${l}.ln1.b`, [d], 0, prefix),
    wqkv: param(params, `h${l}.attn.wqkv`, [d, 3 * d], init(0.02), prefix),
    bqkv: param(params, `h${l}.attn.bqkv`, [3 * d], 0, prefix),
    wo: param(params, `h${l}.attn.wo`, [d, d], init(0.02 / Math.sqrt(2 * L)), prefix),
    bo: param(params, `h${l}.attn.bo`, [d], 0, prefix),
    ln2g: param(params, `h${l}.ln2.g`, [d], 1, prefix),
    ln2b: param(params, `h${l}.ln2.b`, [d], 0, prefix),
    w1: param(params, `h${l}.mlp.w1`, [d, 4 * d], init(0.02), prefix),
    b1: param(params, `h${l}.mlp.b1`, [4 * d], 0, prefix),
    w2: param(params, `h${l}.mlp.w2`, [4 * d, d], init(0.02 / Math.sqrt(2 * L)), prefix),
    b2: param(params, `h${l}.mlp.b2`, [d], 0, prefix),
  }));
  const lnfg = param(params, 'lnf.g', [d], 1, prefix);
  const lnfb = param(params, 'lnf.b', [d], 0, prefix);
  const head = config.tiedEmbeddings ? null : param(params, 'lm_head', [d, vocabSize], init(0.02), prefix);
  const hd = d / H;
  // additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above
  const masks = new Map<number, tf.Tensor2D>();
  const maskFor = (T: number) => {
    let m = masks.get(T);
    if (!m) {
      m = tf.keep(tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9) as tf.Tensor2D);
      masks.set(T, m);
    }
    return m;
  };

  function forward(ids: tf.Tensor2D, training: boolean, seed: number): tf.Tensor3D {
    const [B, T] = ids.shape;
    let k = seed;
    const drop = <X extends tf.Tensor>(x: X) => dropout(x, config.dropout, training, k++);
    let x: tf.Tensor = tf.add(tf.gather(wte, ids), tf.slice(wpe, [0, 0], [T, d]));
    x = drop(x);
    const mask = maskFor(T);
    for (const blk of blocks) {
      const h = tf.reshape(layerNorm(x, blk.ln1g, blk.ln1b), [B * T, d]);
      const qkv = tf.add(tf.matMul(h, blk.wqkv), blk.bqkv);
      const [q, kk, v] = tf.split(qkv, 3, 1).map((t) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]));
      const scores = tf.add(tf.mul(tf.matMul(q, kk, false, true), 1 / Math.sqrt(hd)), mask);
      const att = drop(tf.softmax(scores, -1));
      const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, d]);
      x = tf.add(x, tf.reshape(drop(tf.add(tf.matMul(y, blk.wo), blk.bo)), [B, T, d]));
      const h2 = tf.reshape(layerNorm(x, blk.ln2g, blk.ln2b), [B * T, d]);
      const m = tf.add(tf.matMul(gelu(tf.add(tf.matMul(h2, blk.w1), blk.b1)), blk.w2), blk.b2);
      x = tf.add(x, tf.reshape(drop(m), [B, T, d]));
    }
    const out = tf.reshape(layerNorm(x, lnfg, lnfb), [B * T, d]);
    const logits = head ? tf.matMul(out, head) : tf.matMul(out, wte, false, true);
    return tf.reshape(logits, [B, T, vocabSize]) as tf.Tensor3D;
  }
  return { config, vocabSize, params, forward };
}
