/**
 * A built-in model folder (written by `codegen-eval train`) as scoring, generation and export read
 * it: the folder (a path, a name under ./models, or a shipped model), its training config, its
 * tokenizer, and the weights of its best checkpoint, else its newest.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { latestCheckpoint, readCheckpointWeights, type CheckpointWeights } from '../train/checkpoint.ts';
import type { TrainConfig } from '../train/config.ts';
import { CodeTokenizer } from '../train/tokenizer.ts';
import { UserError } from '../util/errors.ts';
import { packagePath } from '../util/paths.ts';
import type { ModelWeights } from './onnx/graph.ts';

export function resolveModelDir(spec: string): string {
  const candidates = [resolve(spec), resolve('models', spec), packagePath('models', spec)];
  const dir = candidates.find((d) => existsSync(join(d, 'model.json')));
  if (!dir) {
    throw new UserError(`no built-in model at ${spec} (looked for model.json in ${candidates.join(', ')})`, {
      hint: 'train one with: codegen-eval train --corpus ... --out models/NAME',
    });
  }
  return dir;
}

export interface ModelFolder {
  dir: string;
  config: TrainConfig;
  tokenizer: CodeTokenizer;
  checkpoint: string;
  weights: CheckpointWeights;
  /** What ONNX graphs are built from. */
  modelWeights: ModelWeights;
}

/** Read a model folder; `spec` may carry the `builtin:` prefix. */
export async function readModelFolder(spec: string): Promise<ModelFolder> {
  const dir = resolveModelDir(spec.replace(/^builtin:/, ''));
  let config: TrainConfig;
  try {
    config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as TrainConfig;
  } catch (error) {
    throw new UserError(`${join(dir, 'config.json')} cannot be read: ${(error as Error).message}`, { hint: 'a model folder holds the config.json its training run wrote' });
  }
  const tokenizer = await CodeTokenizer.load(dir);
  const checkpoint = existsSync(join(dir, 'best', 'state.json')) ? join(dir, 'best') : await latestCheckpoint(dir);
  if (!checkpoint) throw new UserError(`${dir} has no checkpoint yet`, { hint: 'let the training run reach its first checkpoint' });
  const weights = await readCheckpointWeights(checkpoint);
  return { dir, config, tokenizer, checkpoint, weights, modelWeights: { config: config.model, vocabSize: tokenizer.vocabSize, params: weights.params } };
}
