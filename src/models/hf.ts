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
import { slidingWindows, tokenTexts } from './windows.ts';

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
  digest.update(JSON.stringify({ stride }));

  async function logitsOf(ids: Int32Array): Promise<{ data: Float32Array; vocab: number }> {
    const n = ids.length;
    const inputIds = new Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [1, n]);
    const mask = new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
    const out = (await model({ input_ids: inputIds, attention_mask: mask })) as { logits: { data: Float32Array; dims: number[] } };
    return { data: out.logits.data, vocab: out.logits.dims[2] };
  }

  async function score(text: string, _id: string, topK = 0): Promise<TokenScores> {
    const { ids, offsets } = tokenizer.encode(text);
    const n = ids.length;
    const seq = Int32Array.from([bos, ...ids]);
    const logprobs = new Float64Array(n).fill(NaN);
    const ranks = new Int32Array(n);
    const entropy = new Float64Array(n).fill(NaN);
    const top: { token: string; logprob: number }[][] = [];
    for (const { start: s, end, firstTarget } of slidingWindows(n, context, stride)) {
      const { data, vocab } = await logitsOf(seq.subarray(s, end));
      for (let target = firstTarget; target <= end; target++) {
        const row = data.subarray((target - 1 - s) * vocab, (target - s) * vocab);
        let max = -Infinity;
        for (const v of row) if (v > max) max = v;
        let sum = 0;
        for (const v of row) sum += Math.exp(v - max);
        const lse = max + Math.log(sum);
        const actual = row[seq[target]];
        let rank = 1;
        let h = 0;
        for (const v of row) {
          if (v > actual) rank++;
          const lp = v - lse;
          h -= Math.exp(lp) * lp;
        }
        logprobs[target - 1] = actual - lse;
        ranks[target - 1] = rank;
        entropy[target - 1] = h;
        if (topK > 0) {
          const best = Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, topK);
          top[target - 1] = best.map((i) => ({ token: tokenizer.decode([i]), logprob: row[i] - lse }));
        }
      }
    }
    return { tokens: tokenTexts(text, offsets, n), offsets, logprobs, ranks, entropy, ...(topK > 0 ? { top } : {}) };
  }

  return {
    spec,
    kind: 'hf',
    identity: `hf:${digest.digest('hex').slice(0, 32)}`,
    info: { dir, context, stride, runtime: 'onnxruntime-node via @huggingface/transformers', firstToken: `conditioned on token ${bos}` },
    score,
    dispose: async () => {
      await (model as unknown as { dispose?: () => Promise<void> }).dispose?.();
    },
  };
}
