/**
 * The parameter count of a model config, computed from the shapes the models create (gpt.ts, rnn.ts),
 * and the memory training needs for it: weights, gradients and AdamW's two moments, 4 float32s per
 * parameter. Checked before any work, so that `--set model.width=1e12` is a clear error rather than an
 * allocation failure minutes later.
 */
import { totalmem } from 'node:os';
import { ConfigError } from '../util/errors.ts';
import type { TrainConfig } from './config.ts';

export function configParameterCount(model: TrainConfig['model'], vocabSize: number): number {
  if (model.type === 'gpt') {
    const d = model.width;
    const perLayer = 4 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
    return vocabSize * d + model.context * d + model.layers * perLayer + 2 * d + (model.tiedEmbeddings ? 0 : d * vocabSize);
  }
  const gates = model.type === 'gru' ? 3 : 4;
  const E = model.embedding;
  const U = model.units;
  let total = vocabSize * E;
  for (let l = 0; l < model.layers; l++) total += (l === 0 ? E : U) * gates * U + U * gates * U + gates * U + (model.type === 'gru' ? U : 0);
  const tied = model.tiedEmbeddings && E === U;
  return total + (tied ? 0 : U * vocabSize) + vocabSize;
}

/** Bytes for weights, gradients and the two Adam moments. */
export function trainingBytes(parameters: number): number {
  return parameters * 4 * 4;
}

/** Refuse a model whose parameters and optimizer state alone exceed this machine's memory. */
export function checkModelFits(config: TrainConfig, vocabSize = config.tokenizer.vocabSize, memory = totalmem()): number {
  const parameters = configParameterCount(config.model, vocabSize);
  const bytes = trainingBytes(parameters);
  if (bytes > memory) {
    const gb = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 0)} GiB`;
    const sizes = config.model.type === 'gpt' ? `width ${config.model.width}, ${config.model.layers} layers` : `${config.model.units} units, embedding ${config.model.embedding}, ${config.model.layers} layers`;
    throw new ConfigError(`the model (${config.model.type}, ${sizes}, vocabulary ${vocabSize}) has ${parameters.toExponential(2)} parameters: training needs about ${gb(bytes)} for weights, gradients and optimizer state, and this machine has ${gb(memory)}`, undefined, 'choose a smaller model (model.width, model.layers, model.units, tokenizer.vocabSize)');
  }
  return parameters;
}
