/**
 * `hf:DIR`: a local Hugging Face model folder with ONNX weights (DIR/config.json, DIR/tokenizer.json,
 * DIR/tokenizer_config.json, DIR/onnx/model{,_fp16,_quantized,_q4}.onnx by --dtype, with its external data
 * if any), run through @huggingface/transformers on
 * onnxruntime-node, with remote models off (nothing is ever downloaded). Causal LMs such as GPT-2,
 * CodeGen or StarCoder-family exports and codegen-eval's own `export --format onnx`. The tokenizer must
 * be byte-level BPE (the GPT-2 family) for exact character offsets; other kinds are a clear error
 * before the model loads. The identity digests every file the model loads. Scoring as builtin: the first token is
 * conditioned on the BOS/end-of-text token, and texts longer than the context use a sliding window
 * with a stride of half the context.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../util/errors.ts';
import { CodeTokenizer } from '../train/tokenizer.ts';
import type { ScoringModel, TokenScores } from './types.ts';
import { scoreInWindows, statisticsFromLogits, WINDOW_SCHEME } from './windows.ts';

/** Tokens per forward pass when scoring. */
const TOKENS_PER_BATCH = 2048;

const REQUIRED = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** The weights file for each dtype, as transformers.js names them (src/utils/dtypes.js DEFAULT_DTYPE_SUFFIX_MAPPING). */
export const HF_DTYPES = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4' } as const;
export type HfDtype = keyof typeof HF_DTYPES;

/**
 * The external-data files an ONNX model names (TensorProto.external_data entries {key: "location",
 * value: FILE}), found by their protobuf encoding: field 1 "location" then field 2 with the file name.
 */
export function externalDataLocations(model: Uint8Array): string[] {
  const marker = Buffer.from([0x0a, 0x08, ...Buffer.from('location'), 0x12]);
  const bytes = Buffer.from(model.buffer, model.byteOffset, model.byteLength);
  const found = new Set<string>();
  for (let at = bytes.indexOf(marker); at >= 0; at = bytes.indexOf(marker, at + 1)) {
    let length = 0;
    let shift = 0;
    let p = at + marker.length;
    for (; p < bytes.length; p++) {
      length |= (bytes[p] & 0x7f) << shift;
      shift += 7;
      if (!(bytes[p] & 0x80)) break;
    }
    found.add(bytes.subarray(p + 1, p + 1 + length).toString('utf8'));
  }
  return [...found];
}

async function hashFile(digest: ReturnType<typeof createHash>, file: string): Promise<void> {
  digest.update(`${basename(file)}\0`);
  for await (const chunk of createReadStream(file)) digest.update(chunk as Buffer);
}

function readJsonFile(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file} cannot be read as JSON: ${(error as Error).message}`, { hint: `${what} is damaged or cut short: copy the model folder again` });
  }
}

/** A clear error, before the model loads, for a tokenizer whose token spans codegen-eval cannot derive exactly. */
function checkTokenizerKind(dir: string): void {
  const file = join(dir, 'tokenizer.json');
  let json: { model?: { type?: string; byte_fallback?: boolean }; pre_tokenizer?: unknown; decoder?: unknown };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch (error) {
    throw new UserError(`${file} cannot be read: ${(error as Error).message}`);
  }
  const types = (node: unknown): string[] => {
    if (!node || typeof node !== 'object') return [];
    const n = node as { type?: string; pretokenizers?: unknown[]; decoders?: unknown[] };
    return [n.type ?? '', ...(n.pretokenizers ?? []).flatMap(types), ...(n.decoders ?? []).flatMap(types)];
  };
  const kinds = [...types(json.pre_tokenizer), ...types(json.decoder)];
  const model = json.model?.type ?? 'unknown';
  if (model === 'BPE' && !json.model?.byte_fallback && kinds.includes('ByteLevel')) return;
  const kind = kinds.includes('Metaspace') || json.model?.byte_fallback ? 'a SentencePiece-style tokenizer (Metaspace pieces with byte fallback, as Llama and CodeLlama use)'
    : model === 'WordPiece' ? 'a WordPiece tokenizer' : `a ${model} tokenizer without byte-level pre-tokenization`;
  throw new UserError(`${file} is ${kind}: codegen-eval derives token spans exactly only for byte-level BPE tokenizers (GPT-2, StarCoder, CodeGen, SantaCoder families), so this model is not scored`, {
    hint: 'serve the model with vLLM and score it with openai:URL#MODEL (its answers are read by their token texts), or give its log-probs as a logprobs: file',
  });
}

export async function openHf(spec: string, path: string, options: { stride?: number; device?: string; dtype?: HfDtype } = {}): Promise<ScoringModel> {
  const dir = resolve(path);
  const dtype = options.dtype ?? 'fp32';
  if (!(dtype in HF_DTYPES)) throw new UserError(`unknown dtype '${dtype}'`, { hint: `use one of ${Object.keys(HF_DTYPES).join(', ')}`, exitCode: 2 });
  const weightsFile = join('onnx', `model${HF_DTYPES[dtype]}.onnx`);
  const missing = [...REQUIRED, weightsFile].filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    const have = existsSync(join(dir, 'onnx')) ? readdirSync(join(dir, 'onnx')).filter((f) => f.endsWith('.onnx')) : [];
    throw new UserError(`${dir} is not a complete Hugging Face ONNX model folder: missing ${missing.join(', ')}`, {
      hint: have.length && missing.length === 1 && missing[0] === weightsFile
        ? `its onnx/ folder has ${have.join(', ')}: choose one with --dtype (${Object.entries(HF_DTYPES).map(([k, v]) => `${k}: model${v}.onnx`).join(', ')})`
        : 'expected config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx (export one with: codegen-eval export --model builtin:DIR --format onnx --out DIR, or optimum-cli export onnx)',
    });
  }
  checkTokenizerKind(dir);
  const config = readJsonFile(join(dir, 'config.json'), 'the model config the export wrote (config.json)') as { n_positions?: number; max_position_embeddings?: number; bos_token_id?: number; eos_token_id?: number };
  readJsonFile(join(dir, 'tokenizer_config.json'), 'the tokenizer config (tokenizer_config.json)');
  // identity: every file the model loads, its external data included, so changed weights are rescored
  const digest = createHash('sha256');
  const onnxPath = join(dir, weightsFile);
  const external = externalDataLocations(readFileSync(onnxPath));
  for (const f of external) {
    if (!existsSync(join(dirname(onnxPath), f))) throw new UserError(`${onnxPath} keeps its weights in ${f}, which is not in ${dirname(onnxPath)}`, { hint: 'copy the whole onnx/ folder, external data files included' });
  }
  for (const f of [weightsFile, ...external.map((e) => join('onnx', e)), 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (existsSync(join(dir, f))) await hashFile(digest, join(dir, f));
  }
  const { AutoModelForCausalLM, env, Tensor } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  // an absolute path is read as a folder whatever its name (a space or a non-ASCII letter included)
  env.localModelPath = '/';
  let model: Awaited<ReturnType<typeof AutoModelForCausalLM.from_pretrained>>;
  try {
    model = await AutoModelForCausalLM.from_pretrained(dir, { local_files_only: true, dtype, device: (options.device ?? 'cpu') as 'cpu' });
  } catch (error) {
    const message = (error as Error).message;
    if (/protobuf parsing failed|failed to load model|Load model from/i.test(message)) {
      throw new UserError(`${onnxPath} cannot be loaded by onnxruntime (${message.replace(/^.*failed:\s*/i, '').split('\n')[0]}): the file is damaged or cut short`, { hint: 'copy or export it again (codegen-eval export, or optimum-cli export onnx)' });
    }
    throw error;
  }
  const tokenizer = await CodeTokenizer.load(dir);
  const context = config.n_positions ?? config.max_position_embeddings ?? 1024;
  const stride = Math.max(1, Math.min(context, options.stride ?? Math.floor(context / 2)));
  const bos = config.bos_token_id ?? config.eos_token_id ?? tokenizer.tokenId('<|endoftext|>') ?? 0;
  digest.update(JSON.stringify({ dtype, stride, windows: WINDOW_SCHEME }));

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
    info: { dir, dtype, weights: weightsFile, externalData: external, context, stride, runtime: 'onnxruntime-node via @huggingface/transformers', firstToken: `conditioned on token ${bos}` },
    score: async (text: string, _id: string, topK = 0) => (await scoreTexts([text], topK))[0],
    scoreBatch: (items) => scoreTexts(items.map((item) => item.text), 0),
    batchSize: 16,
    dispose: async () => {
      await (model as unknown as { dispose?: () => Promise<void> }).dispose?.();
    },
  };
}
