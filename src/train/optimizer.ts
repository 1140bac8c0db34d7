/**
 * AdamW (Loshchilov & Hutter 2019): Adam moments with bias correction and weight decay decoupled from
 * the gradient, applied to matrices (rank >= 2) only, as nanoGPT does; linear warm-up then cosine decay
 * of the learning rate to `minLr` (Loshchilov & Hutter 2017); gradients clipped to a global norm.
 * The moments are plain variables, so checkpoints hold them exactly.
 */
import { tf } from './backend.ts';
import { ADAMW_KERNEL, SUM_OF_SQUARES_KERNEL, type AdamWAttrs } from './kernels.ts';

export interface AdamWConfig {
  lr: number;
  minLr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  warmupSteps: number;
  maxSteps: number;
  clip: number;
}

export function learningRate(step: number, c: AdamWConfig): number {
  if (step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  if (step >= c.maxSteps) return c.minLr;
  const progress = (step - c.warmupSteps) / Math.max(1, c.maxSteps - c.warmupSteps);
  return c.minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (c.lr - c.minLr);
}

export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** Steps taken (t in the bias correction). */
  t = 0;

  constructor(readonly params: Map<string, tf.Variable>, readonly config: AdamWConfig) {
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false, `${p.name}.m`));
      this.v.set(name, tf.variable(tf.zerosLike(p), false, `${p.name}.v`));
    }
  }

  /** One update; returns the gradients' global norm before clipping. */
  step(grads: Record<string, tf.Tensor>, lr: number): number {
    const c = this.config;
    this.t++;
    // on wasm, the fused kernels of kernels.ts (one pass per tensor); elsewhere the same in ops
    const fused = tf.getBackend() === 'wasm' && Boolean(tf.getKernel(ADAMW_KERNEL, 'wasm'));
    const norm = fused
      ? Math.sqrt(tf.tidy(() => (tf.engine().runKernel(SUM_OF_SQUARES_KERNEL, Object.values(grads) as unknown as tf.NamedTensorMap, {}) as tf.Tensor).dataSync()[0]))
      : tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
    const scale = c.clip > 0 && norm > c.clip ? c.clip / (norm + 1e-6) : 1;
    const b1 = 1 - c.beta1 ** this.t;
    const b2 = 1 - c.beta2 ** this.t;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g0 = grads[name];
        if (!g0) continue;
        if (fused) {
          const attrs: AdamWAttrs = { lr, beta1: c.beta1, beta2: c.beta2, b1, b2, eps: c.eps, decay: p.rank >= 2 && c.weightDecay > 0 ? 1 - lr * c.weightDecay : 1, scale };
          const [np, nm, nv] = tf.engine().runKernel(ADAMW_KERNEL, { p, m: this.m.get(name)!, v: this.v.get(name)!, g: g0 }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
          p.assign(np);
          this.m.get(name)!.assign(nm);
          this.v.get(name)!.assign(nv);
          continue;
        }
        const g = scale === 1 ? g0 : tf.mul(g0, scale);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, c.beta1), tf.mul(g, 1 - c.beta1)));
        v.assign(tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2)));
        const update = tf.div(tf.div(m, b1), tf.add(tf.sqrt(tf.div(v, b2)), c.eps));
        const decayed = p.rank >= 2 && c.weightDecay > 0 ? tf.mul(p, 1 - lr * c.weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
    return norm;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
