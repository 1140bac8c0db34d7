import { tf } from '../backend.ts';
import type { ModelConfig } from '../config.ts';

/** A language model: named parameters and a forward pass from token ids [B, T] to logits [B, T, V]. */
export interface LanguageModel {
  config: ModelConfig;
  vocabSize: number;
  /** Parameters in a fixed order (checkpoints store them in this order). */
  params: Map<string, tf.Variable>;
  /** `seed` makes dropout deterministic; training = false turns dropout off. */
  forward(ids: tf.Tensor2D, training: boolean, seed: number): tf.Tensor3D;
}

let instances = 0;
/** A prefix unique to one model instance: TensorFlow.js variable names are global to the engine. */
export function instancePrefix(): string {
  return `m${instances++}/`;
}

/** A parameter initialised from N(0, std^2) (or a constant), seeded; `name` keys it in `params`. */
export function param(params: Map<string, tf.Variable>, name: string, shape: number[], init: { std: number; seed: number } | number, prefix = ''): tf.Variable {
  const value = typeof init === 'number' ? tf.fill(shape, init) : tf.truncatedNormal(shape, 0, init.std, 'float32', init.seed);
  const v = tf.variable(value, true, prefix + name);
  value.dispose();
  params.set(name, v);
  return v;
}

/** Dropout with an explicit seed (deterministic), or the identity. */
export function dropout<T extends tf.Tensor>(x: T, rate: number, training: boolean, seed: number): T {
  return training && rate > 0 ? (tf.dropout(x, rate, undefined, seed) as T) : x;
}

export function parameterCount(model: LanguageModel): number {
  let n = 0;
  for (const v of model.params.values()) n += v.size;
  return n;
}
