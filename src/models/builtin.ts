/**
 * `builtin:DIR`: a model folder written by `codegen-eval train` (best checkpoint, else the newest).
 * Long texts are scored with a sliding window of the model's context and a stride of half of it:
 * the first window scores all its tokens, each later window only the tokens past the previous
 * window's end, so every token after the first window has at least context/2 tokens of context.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.ts';
import { selectBackend, tf, type BackendName } from '../train/backend.ts';
import { pickTargets, softmaxAndLogSumExp } from '../train/logits.ts';
import { latestCheckpoint, loadCheckpoint } from '../train/checkpoint.ts';
import type { TrainConfig } from '../train/config.ts';
import { packagePath } from '../util/paths.ts';
import { slidingWindows, tokenTexts } from './windows.ts';
import { createModel, type LanguageModel } from '../train/models/index.ts';
import { CodeTokenizer } from '../train/tokenizer.ts';
import type { ScoringModel, TokenScores } from './types.ts';

export interface BuiltinOptions {
  backend?: BackendName;
  /** Tokens advanced between windows (default: half the context). */
  stride?: number;
}

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

/** Log-probs, ranks and entropies of `targets` under `logits` [T, V]. */
export function tokenStatistics(logits: tf.Tensor2D, targets: Int32Array): { logprobs: Float32Array; ranks: Int32Array; entropy: Float32Array } {
  return tf.tidy(() => {
    const t = tf.tensor1d(targets, 'int32');
    const { p, lse } = softmaxAndLogSumExp(logits);
    const target = pickTargets(logits, t);
    const picked = tf.sub(target, lse);
    const ranks = tf.add(tf.sum(tf.cast(tf.greater(logits, tf.expandDims(target, 1)), 'int32'), 1), 1);
    // H = -sum p (x - lse) = lse - sum p x
    const entropy = tf.sub(lse, tf.sum(tf.mul(p, logits), 1));
    return { logprobs: picked.dataSync() as Float32Array, ranks: ranks.dataSync() as Int32Array, entropy: entropy.dataSync() as Float32Array };
  });
}

export async function openBuiltin(spec: string, path: string, options: BuiltinOptions = {}): Promise<ScoringModel> {
  const dir = resolveModelDir(path);
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as TrainConfig;
  const tokenizer = await CodeTokenizer.load(dir);
  const checkpoint = existsSync(join(dir, 'best', 'state.json')) ? join(dir, 'best') : await latestCheckpoint(dir);
  if (!checkpoint) throw new UserError(`${dir} has no checkpoint yet`, { hint: 'let the training run reach its first checkpoint' });
  const backend = await selectBackend(options.backend ?? 'auto');
  const model: LanguageModel = createModel(config.model, tokenizer.vocabSize, 0);
  const state = await loadCheckpoint(checkpoint, model.params);
  const context = config.model.context;
  const stride = Math.max(1, Math.min(context, options.stride ?? Math.floor(context / 2)));
  const eos = tokenizer.tokenId('<|endoftext|>') ?? 0;
  const digest = createHash('sha256');
  digest.update(await readFile(join(checkpoint, 'weights.bin')));
  digest.update(await readFile(join(dir, 'tokenizer.json')));
  digest.update(JSON.stringify({ model: config.model, stride }));
  const identity = `builtin:${digest.digest('hex').slice(0, 32)}`;

  async function score(text: string, _id: string, topK = 0): Promise<TokenScores> {
    const { ids, offsets } = tokenizer.encode(text);
    const n = ids.length;
    const seq = Int32Array.from([eos, ...ids]);
    const logprobs = new Float64Array(n).fill(NaN);
    const ranks = new Int32Array(n);
    const entropy = new Float64Array(n).fill(NaN);
    const top: { token: string; logprob: number }[][] = [];
    for (const { start: s, end, firstTarget } of slidingWindows(n, context, stride)) {
      const input = seq.subarray(s, end);
      const logits = tf.tidy(() => tf.reshape(model.forward(tf.tensor2d(input, [1, input.length], 'int32'), false, 0), [input.length, tokenizer.vocabSize]) as tf.Tensor2D);
      const rows = tf.slice(logits, [firstTarget - 1 - s, 0], [end - (firstTarget - 1), tokenizer.vocabSize]) as tf.Tensor2D;
      const targets = seq.slice(firstTarget, end + 1);
      const stats = tokenStatistics(rows, targets);
      if (topK > 0) {
        const { values, indices } = tf.tidy(() => {
          const t = tf.topk(tf.logSoftmax(rows), Math.min(topK, tokenizer.vocabSize));
          return { values: t.values.arraySync() as number[][], indices: t.indices.arraySync() as number[][] };
        });
        values.forEach((vs, k) => (top[firstTarget - 1 + k] = vs.map((v, r) => ({ token: tokenizer.decode([indices[k][r]]), logprob: v }))));
      }
      logits.dispose();
      rows.dispose();
      for (let k = 0; k < targets.length; k++) {
        const tokenIndex = firstTarget - 1 + k;
        logprobs[tokenIndex] = stats.logprobs[k];
        ranks[tokenIndex] = stats.ranks[k];
        entropy[tokenIndex] = stats.entropy[k];
      }
    }
    return { tokens: tokenTexts(text, offsets, n), offsets, logprobs, ranks, entropy, ...(topK > 0 ? { top } : {}) };
  }

  return {
    spec,
    kind: 'builtin',
    identity,
    info: { dir, checkpointStep: state.step, model: config.model, vocabSize: tokenizer.vocabSize, backend, stride, firstToken: 'conditioned on <|endoftext|>' },
    score,
    dispose: async () => {
      for (const v of model.params.values()) v.dispose();
    },
  };
}
