/**
 * `builtin:DIR`: a model folder written by `codegen-eval train` (best checkpoint, else the newest).
 * Long texts are scored with a sliding window of the model's context and a stride of half of it:
 * the first window scores all its tokens, each later window only the tokens past the previous
 * window's end, so every token after the first window has at least context/2 tokens of context.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { BACKENDS, selectBackend, tf, type BackendName } from '../train/backend.ts';
import { pickTargets, softmaxAndLogSumExp } from '../train/logits.ts';
import { countRanks, RANKS_KERNEL } from '../train/kernels.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';
import { readModelFolder } from './modelFolder.ts';
import { scoreInWindows, statisticsFromLogits, WINDOW_SCHEME } from './windows.ts';
import { buildGptGraph } from './onnx/exportGpt.ts';
import { buildRnnGraph } from './onnx/exportRnn.ts';
import { encodeModel, type Graph } from '../util/onnx.ts';
import { type ModelWeights } from './onnx/graph.ts';
import { addScoringHead, SCORING_OUTPUTS, type OutputLayer } from './onnx/scoringHead.ts';
import { createModel, type LanguageModel } from '../train/models/index.ts';
import type { ScoringModel, TokenScores } from './types.ts';

/**
 * Where a built-in model runs when scoring: a TensorFlow.js backend, or `onnx`: its ONNX graph (the
 * one `export` writes) on onnxruntime-node, several times faster on CPU. `auto` takes onnx when
 * onnxruntime-node loads.
 */
export type ScoringBackend = BackendName | 'onnx';
export const SCORING_BACKENDS: readonly ScoringBackend[] = [...BACKENDS, 'onnx'];

export interface BuiltinOptions {
  backend?: ScoringBackend;
  /** Tokens advanced between windows (default: half the context). */
  stride?: number;
}

export { resolveModelDir } from './modelFolder.ts';

type OnnxRuntime = typeof import('onnxruntime-node');

/** A built-in model's ONNX graph with the scoring head (what `--backend onnx` runs). */
export function scoringGraph(model: ModelWeights): Graph {
  const { graph, outputLayer } = logitsGraph(model);
  return addScoringHead(graph, outputLayer, TOKENS_PER_BATCH);
}

/** The model's graph with logits out (what top-k needs), and where it computes them. */
function logitsGraph(model: ModelWeights): { graph: Graph; outputLayer: OutputLayer } {
  return model.config.type === 'gpt' ? buildGptGraph(model) : buildRnnGraph(model);
}

/** onnxruntime-node, or undefined where it does not load (an error when it was asked for). */
async function loadOnnxRuntime(required: boolean): Promise<OnnxRuntime | undefined> {
  try {
    return await import('onnxruntime-node');
  } catch (error) {
    if (required) throw new UserError(`the onnx backend needs onnxruntime-node, which did not load: ${(error as Error).message}`, { hint: 'npm install onnxruntime-node, or score with --backend wasm' });
    return undefined;
  }
}

/** Tokens per forward pass when scoring (16 windows of 128). */
const TOKENS_PER_BATCH = 2048;

/**
 * Log-probs, ranks and entropies of `targets` under `logits` [T, V]. Ranks are counted by a loop (on
 * wasm in a kernel that reads the logits where they are) rather than with a broadcast Greater, which
 * the wasm backend runs element by element through index arithmetic (0.8 s for 2048 x 4096 logits,
 * against about 10 ms for the loop).
 */
export function tokenStatistics(logits: tf.Tensor2D, targets: Int32Array): { logprobs: Float32Array; ranks: Int32Array; entropy: Float32Array } {
  return tf.tidy(() => {
    const t = tf.tensor1d(targets, 'int32');
    const { p, lse } = softmaxAndLogSumExp(logits);
    const target = pickTargets(logits, t);
    const picked = tf.sub(target, lse);
    // H = -sum p (x - lse) = lse - sum p x
    const entropy = tf.sub(lse, tf.sum(tf.mul(p, logits), 1));
    const ranks = tf.getBackend() === 'wasm'
      ? ((tf.engine().runKernel(RANKS_KERNEL, { logits, targetLogits: target }) as tf.Tensor).dataSync() as Int32Array)
      : countRanks(logits.dataSync(), target.dataSync(), logits.shape[1], new Int32Array(targets.length));
    return { logprobs: picked.dataSync() as Float32Array, ranks, entropy: entropy.dataSync() as Float32Array };
  });
}

export async function openBuiltin(spec: string, path: string, options: BuiltinOptions = {}): Promise<ScoringModel> {
  const { dir, config, tokenizer, checkpoint, weights, modelWeights } = await readModelFolder(path);
  const requested = options.backend ?? 'auto';
  const ort = requested === 'onnx' || requested === 'auto' ? await loadOnnxRuntime(requested === 'onnx') : undefined;
  // on onnxruntime the graph is built from the checkpoint's arrays; TensorFlow.js is not involved
  const session = ort ? await ort.InferenceSession.create(encodeModel(scoringGraph(modelWeights))) : undefined;
  // top-k needs the logits themselves: a second session, built on the first request for them
  let logitsSession: Promise<import('onnxruntime-node').InferenceSession> | undefined;
  const withLogits = () => (logitsSession ??= ort!.InferenceSession.create(encodeModel(logitsGraph(modelWeights).graph)));
  const backend = session ? 'onnx' : await selectBackend(requested as BackendName);
  let model: LanguageModel | undefined;
  if (!session) {
    model = createModel(config.model, tokenizer.vocabSize, 0);
    await loadCheckpoint(checkpoint, model.params, undefined, weights);
  }
  const context = config.model.context;
  const stride = Math.max(1, Math.min(context, options.stride ?? Math.floor(context / 2)));
  const eos = tokenizer.tokenId('<|endoftext|>') ?? 0;
  const digest = createHash('sha256');
  digest.update(weights.bytes);
  digest.update(await readFile(join(dir, 'tokenizer.json')));
  digest.update(JSON.stringify({ model: config.model, stride, windows: WINDOW_SCHEME, ...(session ? { runtime: 'onnxruntime' } : {}) }));
  const identity = `builtin:${digest.digest('hex').slice(0, 32)}`;

  function scoreTexts(texts: string[], topK: number): Promise<TokenScores[]> {
    return scoreEncoded(texts.map((text) => ({ text, ...tokenizer.encode(text) })), topK);
  }

  /** Token-id sequences: each token's text is decoded on its own, its span the running sum of those texts. */
  function scoreIds(sequences: readonly (readonly number[])[], topK: number): Promise<TokenScores[]> {
    return scoreEncoded(sequences.map((ids) => {
      const pieces = ids.map((id) => {
        if (!Number.isInteger(id) || id < 0 || id >= tokenizer.vocabSize) throw new UserError(`token id ${id} is not in the vocabulary (0..${tokenizer.vocabSize - 1})`);
        return tokenizer.decode([id]);
      });
      const offsets = new Int32Array(2 * ids.length);
      let at = 0;
      pieces.forEach((p, j) => {
        offsets[2 * j] = at;
        at += p.length;
        offsets[2 * j + 1] = at;
      });
      return { text: pieces.join(''), ids: [...ids], offsets };
    }), topK);
  }

  function scoreEncoded(encoded: { text: string; ids: number[]; offsets: Int32Array }[], topK: number): Promise<TokenScores[]> {
    return scoreInWindows(encoded, { bos: eos, context, stride, tokensPerBatch: TOKENS_PER_BATCH, topK }, async (input, batch, length, rowIndex, targets) => {
      if (session && ort) {
        const ids = new ort.Tensor('int64', BigInt64Array.from(input, (v) => BigInt(v)), [batch, length]);
        const mask = new ort.Tensor('int64', new BigInt64Array(batch * length).fill(1n), [batch, length]);
        const next = new BigInt64Array(batch * length);
        rowIndex.forEach((row, k) => (next[row] = BigInt(targets[k])));
        if (topK > 0) {
          const { logits } = await (await withLogits()).run({ input_ids: ids, attention_mask: mask }, ['logits']);
          return statisticsFromLogits(logits.data as Float32Array, tokenizer.vocabSize, rowIndex, targets, topK, (id) => tokenizer.decode([id]));
        }
        const feeds = { input_ids: ids, attention_mask: mask, targets: new ort.Tensor('int64', next, [batch, length]) };
        const out = await session.run(feeds, [...SCORING_OUTPUTS]);
        const [logprobs, ranks, entropy] = SCORING_OUTPUTS.map((name) => {
          const all = out[name].data as Float32Array;
          return Float64Array.from(rowIndex, (row) => all[row]);
        });
        return { logprobs, ranks: Int32Array.from(ranks), entropy };
      }
      const rows = tf.tidy(() => {
        const logits = model!.forward(tf.tensor2d(input, [batch, length], 'int32'), false, 0);
        return tf.gather(tf.reshape(logits, [batch * length, tokenizer.vocabSize]), tf.tensor1d(rowIndex, 'int32')) as tf.Tensor2D;
      });
      const stats = tokenStatistics(rows, targets);
      if (topK > 0) {
        const { values, indices } = tf.tidy(() => {
          const t = tf.topk(tf.logSoftmax(rows), Math.min(topK, tokenizer.vocabSize));
          return { values: t.values.arraySync() as number[][], indices: t.indices.arraySync() as number[][] };
        });
        rows.dispose();
        return { ...stats, top: values.map((vs, k) => vs.map((v, i) => ({ token: tokenizer.decode([indices[k][i]]), logprob: v }))) };
      }
      rows.dispose();
      return stats;
    });
  }

  return {
    spec,
    kind: 'builtin',
    identity,
    info: { dir, checkpointStep: weights.state.step, model: config.model, vocabSize: tokenizer.vocabSize, backend, stride, firstToken: 'conditioned on <|endoftext|>' },
    score: async (text: string, _id: string, topK = 0) => (await scoreTexts([text], topK))[0],
    scoreBatch: (items) => scoreTexts(items.map((item) => item.text), 0),
    scoreTokenIds: (sequences, topK = 0) => scoreIds(sequences, topK),
    batchSize: 16,
    dispose: async () => {
      await session?.release();
      await (await logitsSession)?.release();
      for (const v of model?.params.values() ?? []) v.dispose();
    },
  };
}
