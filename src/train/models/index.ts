import type { ModelConfig } from '../config.ts';
import { createGpt } from './gpt.ts';
import type { LanguageModel } from './model.ts';
import { createRnn } from './rnn.ts';

export { parameterCount, type LanguageModel } from './model.ts';

export function createModel(config: ModelConfig, vocabSize: number, seed: number): LanguageModel {
  return config.type === 'gpt' ? createGpt(config, vocabSize, seed) : createRnn(config, vocabSize, seed);
}
