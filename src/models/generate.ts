/**
 * Generation with a built-in GPT on onnxruntime-node, through its decoder graph over a KV cache of
 * slots this engine owns (`onnx/decoderGraph.ts` buildGptCacheSlotsGraph): the prompts are run once
 * (left-padded to one length, padding masked, positions counted from each prompt's first token),
 * then each step feeds only the new tokens; the graph reads the cache where it lies and returns the
 * new keys and values, which are written into the next slots (no step copies the cache).
 *
 * Greedy decoding by default; with a temperature, sampling from the softmax of logits / temperature,
 * cut to the top k and to the top-p nucleus (Holtzman et al. 2020), seeded per prompt and sample, so
 * a completion does not depend on what else is in the batch. As in scoring, a prompt is conditioned
 * on <|endoftext|> before its first token.
 *
 * A sequence ends at the end-of-text token (finish reason `stop`; the token is the last of `ids`, as
 * vLLM reports it, and not in `text`), at a stop sequence (`stop`; the text is cut before it, the
 * tokens keep the one that completed it), or after `maxTokens` new tokens or at the model's context
 * (`length`). Log-probs are the model's own (log-softmax of the raw logits, before temperature or
 * truncation), as vLLM reports them by default.
 */
import { UserError } from '../util/errors.ts';
import { computeThreads } from '../util/threads.ts';
import { createRandom, deriveSeed, type Random } from '../util/random.ts';
import { encodeModel } from '../util/onnx.ts';
import { readModelFolder } from './modelFolder.ts';
import { buildGptCacheSlotsGraph } from './onnx/decoderGraph.ts';
import type { ModelWeights } from './onnx/graph.ts';

export interface GenerateOptions {
  /** New tokens at most (default 16, as OpenAI's completions). */
  maxTokens?: number;
  /** 0 (the default): greedy. */
  temperature?: number;
  /** Nucleus sampling: the smallest set of top tokens whose probability reaches topP (default 1). */
  topP?: number;
  /** Sample among the k most likely tokens only (default 0: all). */
  topK?: number;
  /** Seed of the sampling (default 0). */
  seed?: number;
  /** Strings that end a completion (not included in its text). */
  stop?: string[];
  /** Completions per prompt (default 1). */
  n?: number;
  /** The k most likely tokens and their log-probs at each generated position (default 0: none). */
  topLogprobs?: number;
  /** Stops the work between steps (a client that went away, a deadline). */
  signal?: AbortSignal;
}

export interface Completion {
  /** The generated text, cut before a stop sequence. */
  text: string;
  ids: number[];
  /** Each generated token's text, decoded on its own. */
  tokens: string[];
  /** log P(token | everything before it), natural log, from the model's raw logits. */
  logprobs: number[];
  finishReason: 'stop' | 'length';
  /** The stop sequence that ended it, if one did. */
  stopSequence?: string;
  promptTokens: number;
  /** With `topLogprobs`: the top tokens (text decoded on its own, log-prob) at each generated position. */
  top?: { token: string; logprob: number }[][];
}

export type Prompt = string | readonly number[];

export interface Generator {
  spec: string;
  /** What the completions depend on (weights, tokenizer, engine). */
  identity: string;
  context: number;
  vocabSize: number;
  eos: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** Completions for each prompt (`n` each), in order. */
  generate(prompts: readonly Prompt[], options?: GenerateOptions): Promise<Completion[][]>;
  dispose(): Promise<void>;
}

type Ort = typeof import('onnxruntime-node');

type CheckedOptions = Required<Omit<GenerateOptions, 'stop' | 'signal'>> & { stop: string[]; signal?: AbortSignal };

function checkOptions(o: GenerateOptions): CheckedOptions {
  const maxTokens = o.maxTokens ?? 16;
  const temperature = o.temperature ?? 0;
  const topP = o.topP ?? 1;
  const topK = o.topK ?? 0;
  const n = o.n ?? 1;
  const seed = o.seed ?? 0;
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new UserError(`maxTokens must be a whole number >= 0, got ${maxTokens}`);
  if (!(temperature >= 0 && Number.isFinite(temperature))) throw new UserError(`temperature must be a number >= 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw new UserError(`topP must lie in (0, 1], got ${topP}`);
  if (!Number.isInteger(topK) || topK < 0) throw new UserError(`topK must be a whole number >= 0, got ${topK}`);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`n must be a whole number >= 1, got ${n}`);
  if (!Number.isInteger(seed)) throw new UserError(`seed must be a whole number, got ${seed}`);
  const stop = o.stop ?? [];
  if (!stop.every((s) => typeof s === 'string' && s.length > 0)) throw new UserError('stop sequences must be non-empty strings');
  const topLogprobs = o.topLogprobs ?? 0;
  if (!Number.isInteger(topLogprobs) || topLogprobs < 0) throw new UserError(`topLogprobs must be a whole number >= 0, got ${topLogprobs}`);
  return { maxTokens, temperature, topP, topK, n, seed, stop, topLogprobs, signal: o.signal };
}

/** The next token from one row of logits: argmax, or a seeded draw. Returns the id and its raw log-prob. */
export function chooseToken(logits: Float32Array, options: { temperature: number; topP: number; topK: number }, random: Random | undefined, normalized = false): { id: number; logprob: number } {
  let max = -Infinity;
  let best = 0;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) { max = logits[i]; best = i; }
  // `normalized`: the row is already a log-softmax
  if (normalized && (options.temperature === 0 || !random)) return { id: best, logprob: logits[best] };
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const lse = normalized ? 0 : max + Math.log(sum);
  if (options.temperature === 0 || !random) return { id: best, logprob: logits[best] - lse };
  // candidates by probability under the temperature, most likely first
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  const kept = options.topK > 0 ? order.slice(0, options.topK) : order;
  const weights = kept.map((i) => Math.exp((logits[i] - max) / options.temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let cut = kept.length;
  if (options.topP < 1) {
    let mass = 0;
    for (let k = 0; k < kept.length; k++) {
      mass += weights[k] / total;
      if (mass >= options.topP) { cut = k + 1; break; }
    }
  }
  const nucleus = weights.slice(0, cut).reduce((a, b) => a + b, 0);
  let u = random.next() * nucleus;
  for (let k = 0; k < cut; k++) {
    u -= weights[k];
    if (u < 0) return { id: kept[k], logprob: logits[kept[k]] - lse };
  }
  return { id: kept[cut - 1], logprob: logits[kept[cut - 1]] - lse };
}

/** Thrown when `signal` stops a generation. */
export class GenerationAborted extends Error {
  constructor() {
    super('generation stopped');
    this.name = 'GenerationAborted';
  }
}

/** The k largest logits of a row as (token, log-prob); `minusLse` = -logsumexp of the row. */
function topTokens(row: Float32Array, k: number, minusLse: number, decode: (ids: number[]) => string): { token: string; logprob: number }[] {
  const best: number[] = [];
  for (let i = 0; i < row.length; i++) {
    if (best.length < k) best.push(i);
    else if (row[i] > row[best[best.length - 1]]) best[best.length - 1] = i;
    else continue;
    best.sort((a, b) => row[b] - row[a] || a - b);
  }
  return best.map((i) => ({ token: decode([i]), logprob: row[i] + minusLse }));
}

/** Open a built-in GPT (`builtin:DIR` or a folder) for generation. */
export async function openGenerator(spec: string, options: { threads?: number; spinning?: boolean } = {}): Promise<Generator> {
  const folder = await readModelFolder(spec);
  const { config, tokenizer } = folder;
  if (config.model.type !== 'gpt') throw new UserError(`generation needs a GPT; ${folder.dir} is a ${config.model.type}`, { hint: 'recurrent models score but do not generate yet' });
  const { createHash } = await import('node:crypto');
  const identity = `builtin-generate:${createHash('sha256').update(folder.weights.bytes).update(JSON.stringify(tokenizer.files.tokenizerJson)).update('decoder-kv-cache@1').digest('hex').slice(0, 32)}`;
  return createGenerator({
    spec, identity, weights: folder.modelWeights, eos: tokenizer.tokenId('<|endoftext|>') ?? 0,
    encode: (text) => tokenizer.encode(text).ids, decode: (ids) => tokenizer.decode([...ids]), threads: options.threads, spinning: options.spinning,
  });
}

/**
 * A generator over a GPT's weights, with the tokenizer's functions; what `openGenerator` builds, and
 * what the benchmark uses on random weights (`eos` -1: never stops early).
 */
export async function createGenerator(input: { spec: string; identity: string; weights: ModelWeights; eos: number; encode: (text: string) => number[]; decode: (ids: readonly number[]) => string; threads?: number; spinning?: boolean }): Promise<Generator> {
  const { spec, identity, eos, encode, decode } = input;
  let ort: Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (error) {
    throw new UserError(`generation runs on onnxruntime-node, which did not load: ${(error as Error).message}`, { hint: 'npm install onnxruntime-node' });
  }
  const decoder = buildGptCacheSlotsGraph(input.weights);
  // the fastest setting measured here (bench/generate): every core, threads spinning between operators
  const threads = input.threads ?? computeThreads();
  const session = await ort.InferenceSession.create(encodeModel(decoder.graph), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: (input.spinning ?? threads > 1) ? '1' : '0' } } },
  });
  const { layers, heads, headDim } = decoder;
  const context = input.weights.config.context;
  const V = input.weights.vocabSize;
  const padId = Math.max(0, eos);

  async function generateBatch(rows: { ids: number[]; random: Random | undefined }[], o: CheckedOptions): Promise<Completion[]> {
    const R = rows.length;
    const lengths = rows.map((r) => r.ids.length + 1); // <|endoftext|> first
    const longest = lengths.reduce((a, b) => Math.max(a, b), 0);
    // every fed token takes a slot; the last generated token is not fed
    const slots = longest + Math.max(0, Math.min(o.maxTokens, context) - 1);
    const inputIds = new BigInt64Array(R * longest).fill(BigInt(padId));
    const newMask = new BigInt64Array(R * longest);
    const positions = new BigInt64Array(R * longest).fill(1n);
    rows.forEach((r, b) => {
      const pad = longest - lengths[b];
      [padId, ...r.ids].forEach((id, t) => {
        inputIds[b * longest + pad + t] = BigInt(id);
        newMask[b * longest + pad + t] = 1n;
        positions[b * longest + pad + t] = BigInt(t);
      });
    });
    const cacheSize = R * heads * slots * headDim;
    const cache = Array.from({ length: layers }, () => ({ key: new Float32Array(cacheSize), value: new Float32Array(cacheSize) }));
    const cacheMask = new BigInt64Array(R * slots);
    const cacheFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
    cache.forEach((c, l) => {
      cacheFeeds[`cache.${l}.key`] = new ort.Tensor('float32', c.key, [R, heads, headDim, slots]);
      cacheFeeds[`cache.${l}.value`] = new ort.Tensor('float32', c.value, [R, heads, slots, headDim]);
    });
    const maskTensor = new ort.Tensor('int64', cacheMask, [R, slots]);
    // the prompts' pass attends to no slot at all (nothing is cached yet)
    const emptyCache: Record<string, import('onnxruntime-node').Tensor> = { cache_mask: new ort.Tensor('int64', new BigInt64Array(0), [R, 0]) };
    for (let l = 0; l < layers; l++) {
      emptyCache[`cache.${l}.key`] = new ort.Tensor('float32', new Float32Array(0), [R, heads, headDim, 0]);
      emptyCache[`cache.${l}.value`] = new ort.Tensor('float32', new Float32Array(0), [R, heads, 0, headDim]);
    }
    /** Write the new tokens' keys [R, H, hd, S] and values [R, H, S, hd] into slots from `first`. */
    const store = (out: Record<string, import('onnxruntime-node').Tensor>, first: number, S: number, fed: BigInt64Array) => {
      cache.forEach((c, l) => {
        const keys = out[`new.${l}.key`].data as Float32Array;
        for (let row = 0; row < R * heads * headDim; row++) {
          for (let t = 0, from = row * S, to = row * slots + first; t < S; t++) c.key[to + t] = keys[from + t];
        }
        const values = out[`new.${l}.value`].data as Float32Array;
        for (let bh = 0; bh < R * heads; bh++) c.value.set(values.subarray(bh * S * headDim, (bh + 1) * S * headDim), (bh * slots + first) * headDim);
      });
      for (let b = 0; b < R; b++) for (let s = 0; s < S; s++) cacheMask[b * slots + first + s] = fed[b * S + s];
    };
    const done: Completion[] = rows.map((r) => ({ text: '', ids: [], tokens: [], logprobs: [], finishReason: 'length', promptTokens: r.ids.length, ...(o.topLogprobs > 0 ? { top: [] } : {}) }));
    const finished = new Array<boolean>(R).fill(o.maxTokens === 0);
    let feedIds = inputIds;
    let feedPositions = positions;
    let feedMask = newMask;
    let filled = 0;
    let step = 0;
    while (!finished.every(Boolean)) {
      if (o.signal?.aborted) throw new GenerationAborted();
      const S = feedIds.length / R;
      const out = await session.run({
        input_ids: new ort.Tensor('int64', feedIds, [R, S]),
        position_ids: new ort.Tensor('int64', feedPositions, [R, S]),
        new_mask: new ort.Tensor('int64', feedMask, [R, S]),
        ...(filled === 0 ? emptyCache : { cache_mask: maskTensor, ...cacheFeeds }),
      });
      const logits = out.logprobs.data as Float32Array;
      const nextIds = new BigInt64Array(R).fill(BigInt(padId));
      for (let b = 0; b < R; b++) {
        if (finished[b]) continue;
        const c = done[b];
        const row = logits.subarray(b * V, (b + 1) * V);
        const { id, logprob } = chooseToken(row, o, rows[b].random, true);
        c.ids.push(id);
        c.tokens.push(decode([id]));
        c.logprobs.push(logprob);
        c.top?.push(topTokens(row, o.topLogprobs, 0, decode));
        nextIds[b] = BigInt(id);
        if (id === eos) {
          // end-of-text stays the last token (as vLLM reports it), not part of the text
          c.finishReason = 'stop';
          finished[b] = true;
          continue;
        }
        // the text is decoded each step only to look for stop sequences; otherwise once, at the end
        if (o.stop.length > 0) {
          const text = decode(c.ids);
          const hit = o.stop.map((s) => ({ s, at: text.indexOf(s) })).filter((h) => h.at >= 0).sort((a, b) => a.at - b.at)[0];
          if (hit) {
            c.text = text.slice(0, hit.at);
            c.finishReason = 'stop';
            c.stopSequence = hit.s;
            finished[b] = true;
            continue;
          }
        }
        // the next token would be fed at position lengths - 1 + ids: past the context, nothing more can follow
        if (c.ids.length >= o.maxTokens || lengths[b] + c.ids.length > context) finished[b] = true;
      }
      step++;
      if (finished.every(Boolean)) break;
      store(out, filled, S, feedMask);
      filled += S;
      feedIds = nextIds;
      feedMask = new BigInt64Array(R).fill(1n);
      feedPositions = BigInt64Array.from(lengths, (len) => BigInt(len - 1 + step));
    }
    for (const c of done) {
      if (c.stopSequence === undefined) c.text = decode(c.ids.at(-1) === eos ? c.ids.slice(0, -1) : c.ids);
    }
    return done;
  }

  return {
    spec,
    identity,
    context,
    vocabSize: V,
    eos,
    encode,
    decode,
    async generate(prompts, options = {}) {
      const o = checkOptions(options);
      const rows: { prompt: number; ids: number[]; random: Random | undefined }[] = [];
      prompts.forEach((p, i) => {
        const ids = typeof p === 'string' ? encode(p) : [...p];
        for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= V) throw new UserError(`prompt ${i}: token id ${id} is not in the vocabulary (0..${V - 1})`);
        if (ids.length + 1 > context) throw new UserError(`prompt ${i} has ${ids.length} tokens; with <|endoftext|> before it, that is more than the context of ${context} holds`, { hint: 'shorten the prompt' });
        for (let s = 0; s < o.n; s++) rows.push({ prompt: i, ids, random: o.temperature > 0 ? createRandom(deriveSeed(o.seed, `${ids.join(",")}#${s}`)) : undefined });
      });
      const out: Completion[][] = prompts.map(() => []);
      if (rows.length === 0) return out;
      const completions = await generateBatch(rows, o);
      completions.forEach((c, k) => out[rows[k].prompt].push(c));
      return out;
    },
    dispose: async () => {
      await session.release();
    },
  };
}
