/**
 * `hf:DIR`: a local Hugging Face model folder with ONNX weights (DIR/config.json, DIR/tokenizer.json,
 * DIR/tokenizer_config.json, DIR/onnx/model.onnx), run through @huggingface/transformers on
 * onnxruntime-node, with remote models off (nothing is ever downloaded). Causal LMs such as GPT-2,
 * CodeGen or StarCoder-family exports and codegen-eval's own `export --format onnx`. The tokenizer must
 * be byte-level BPE (the GPT-2 family) for character offsets. Scoring as builtin: the first token is
 * conditioned on the BOS/end-of-text token, and texts longer than the context use a sliding window
 * with a stride of half the context.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../util/errors.ts';
import { CodeTokenizer } from '../train/tokenizer.ts';
import type { ScoringModel, TokenScores } from './types.ts';
import { scoreInWindows, statisticsFromLogits, WINDOW_SCHEME } from './windows.ts';

/** Tokens per forward pass when scoring. */
const TOKENS_PER_BATCH = 2048;

const REQUIRED = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

export async function openHf(spec: string, path: string, options: { stride?: number; device?: string } = {}): Promise<ScoringModel> {
  const dir = resolve(path);
  const missing = [...REQUIRED, 'onnx/model.onnx'].filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    throw new UserError(`${dir} is not a complete Hugging Face ONNX model folder: missing ${missing.join(', ')}`, {
      hint: 'expected config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx (export one with: codegen-eval export --model builtin:DIR --format onnx --out DIR, or optimum-cli export onnx)',
    });
  }
  const { AutoModelForCausalLM, env, Tensor } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(dir);
  const model = await AutoModelForCausalLM.from_pretrained(basename(dir), { local_files_only: true, dtype: 'fp32', device: (options.device ?? 'cpu') as 'cpu' });
  const tokenizer = await CodeTokenizer.load(dir);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { n_positions?: number; max_position_embeddings?: number; bos_token_id?: number; eos_token_id?: number };
  const context = config.n_positions ?? config.max_position_embeddings ?? 1024;
  const stride = Math.max(1, Math.min(context, options.stride ?? Math.floor(context / 2)));
  const bos = config.bos_token_id ?? config.eos_token_id ?? tokenizer.tokenId('<|endoftext|>') ?? 0;
  const digest = createHash('sha256');
  digest.update(readFileSync(join(dir, 'onnx', 'model.onnx')));
  digest.update(readFileSync(join(dir, 'tokenizer.json')));
  digest.update(JSON.stringify({ stride, windows: WINDOW_SCHEME }));

  function scoreTexts(texts: string[], topK: number): Promise<TokenScores[]> {
    const encoded = texts.map((text) => ({ text, ...tokenizer.encode(text) }));
    return scoreInWindows(encoded, { bos, context, stride, tokensPerBatch: TOKENS_PER_BATCH, topK }, async (input, batch, length, rows, targets) => {
      const inputIds = new Tensor('int64', BigInt64Array.from(input, (v) => BigInt(v)), [batch, length]);
      const mask = new Tensor('int64', new BigInt64Array(batch * length).fill(1n), [batch, length]);
      const out = (await model({ input_ids: inputIds, attention_mask: mask })) as { logits: { data: Float32Array; dims: number[] } };
      return statisticsFromLogits(out.logits.data, out.logits.dims[2], rows, targets, topK, (id) => tokenizer.decode([id]));
    });
  }

  return {
    spec,
    kind: 'hf',
    identity: `hf:${digest.digest('hex').slice(0, 32)}`,
    info: { dir, context, stride, runtime: 'onnxruntime-node via @huggingface/transformers', firstToken: `conditioned on token ${bos}` },
    score: async (text: string, _id: string, topK = 0) => (await scoreTexts([text], topK))[0],
    scoreBatch: (items) => scoreTexts(items.map((item) => item.text), 0),
    batchSize: 16,
    dispose: async () => {
      await (model as unknown as { dispose?: () => Promise<void> }).dispose?.();
    },
  };
}
