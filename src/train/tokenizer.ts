/**
 * Byte-level BPE tokenizers in the Hugging Face `tokenizer.json` format (Sennrich, Haddow & Birch 2016;
 * GPT-2's byte-level variant, Radford et al. 2019).
 *
 * Training: texts are split with GPT-2's pre-tokenization pattern (the one HF's ByteLevel pre-tokenizer
 * uses), each piece's UTF-8 bytes are mapped to printable characters (bytes_to_unicode), and the most
 * frequent adjacent pair is merged until the vocabulary is full or no pair occurs `minFrequency`
 * times. Counting streams over the texts; the table of distinct pieces is pruned of pieces seen once
 * when it grows past `maxWords` (an approximation that only affects pieces too rare to matter).
 * Ties between equally frequent pairs go to the lexicographically smaller pair, so training is
 * deterministic.
 *
 * Loading and encoding go through the Hugging Face library (`@huggingface/tokenizers`), so a tokenizer
 * trained here works in any HF tool and any HF byte-level tokenizer works here. Character offsets are
 * derived from the byte lengths of the tokens (their concatenation is the text's UTF-8), in UTF-16
 * units; a token that ends inside a multi-byte character ends at that character's start.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { utf8ToUtf16Table } from '../syntax/offsets.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';

/** GPT-2's pre-tokenization pattern (as in HF's ByteLevel pre-tokenizer with use_regex). */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible map from bytes to printable unicode characters. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) map[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  return map;
}

const BYTE_TO_CHAR = bytesToUnicode();
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));
const encoder = new TextEncoder();

export interface BpeTrainOptions {
  vocabSize: number;
  minFrequency?: number;
  /** Special tokens, added first (ids 0..): e.g. ['<|endoftext|>', '<pad>']. */
  specialTokens?: string[];
  maxWords?: number;
  onProgress?: (stage: string, done: number, total?: number) => void;
}

export interface TrainedBpe {
  vocab: Map<string, number>;
  merges: [string, string][];
  specialTokens: string[];
}

/** Count pre-tokenized pieces (as byte-level strings) over a stream of texts. */
export async function countPieces(texts: AsyncIterable<string> | Iterable<string>, maxWords = 2_000_000, onText?: () => void): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const text of texts) {
    for (const m of text.matchAll(GPT2_PATTERN)) {
      const bytes = encoder.encode(m[0]);
      let piece = '';
      for (const b of bytes) piece += BYTE_TO_CHAR[b];
      counts.set(piece, (counts.get(piece) ?? 0) + 1);
    }
    if (counts.size > maxWords) for (const [w, c] of counts) if (c === 1) counts.delete(w);
    onText?.();
  }
  return counts;
}

/** A max-heap of (count, pair) with lazy invalidation. */
class PairHeap {
  private readonly items: { count: number; pair: string }[] = [];
  push(count: number, pair: string): void {
    const a = this.items;
    a.push({ count, pair });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!PairHeap.before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): { count: number; pair: string } | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && PairHeap.before(a[l], a[m])) m = l;
        if (r < a.length && PairHeap.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
  /** Higher count first; on ties, the smaller pair string. */
  private static before(x: { count: number; pair: string }, y: { count: number; pair: string }): boolean {
    return x.count > y.count || (x.count === y.count && x.pair < y.pair);
  }
}

const SEP = '\u0000';

export function trainBpeFromCounts(counts: Map<string, number>, options: BpeTrainOptions): TrainedBpe {
  const specials = options.specialTokens ?? [];
  const minFrequency = options.minFrequency ?? 2;
  const vocab = new Map<string, number>();
  for (const s of specials) vocab.set(s, vocab.size);
  for (const c of [...BYTE_TO_CHAR].sort()) vocab.set(c, vocab.size);
  if (options.vocabSize < vocab.size) throw new UserError(`vocabulary size ${options.vocabSize} is below the ${vocab.size} byte symbols and special tokens`);
  const words = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const symbols: string[][] = words.map(([w]) => [...w]);
  const freq = words.map(([, c]) => c);
  const pairCounts = new Map<string, number>();
  const where = new Map<string, Set<number>>();
  const addPair = (pair: string, word: number, delta: number) => {
    pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + delta);
    if (delta > 0) {
      let set = where.get(pair);
      if (!set) where.set(pair, (set = new Set()));
      set.add(word);
    }
  };
  symbols.forEach((s, w) => {
    for (let i = 0; i + 1 < s.length; i++) addPair(s[i] + SEP + s[i + 1], w, freq[w]);
  });
  const heap = new PairHeap();
  for (const [pair, c] of pairCounts) heap.push(c, pair);
  const merges: [string, string][] = [];
  while (vocab.size < options.vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const current = pairCounts.get(top.pair) ?? 0;
    if (current !== top.count) {
      if (current > 0) heap.push(current, top.pair); // stale entry: requeue with the true count
      continue;
    }
    if (current < minFrequency) break;
    const [a, b] = top.pair.split(SEP);
    const merged = a + b;
    merges.push([a, b]);
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
    const touched = new Set<string>();
    for (const w of where.get(top.pair) ?? []) {
      const s = symbols[w];
      const f = freq[w];
      for (let i = 0; i + 1 < s.length; i++) addPair(s[i] + SEP + s[i + 1], w, -f);
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(s[i]);
      }
      symbols[w] = out;
      for (let i = 0; i + 1 < out.length; i++) {
        const p = out[i] + SEP + out[i + 1];
        addPair(p, w, f);
        touched.add(p);
      }
    }
    pairCounts.delete(top.pair);
    where.delete(top.pair);
    for (const p of touched) heap.push(pairCounts.get(p)!, p);
    options.onProgress?.('merges', merges.length, options.vocabSize - 256 - specials.length);
  }
  return { vocab, merges, specialTokens: specials };
}

export async function trainBpe(texts: AsyncIterable<string> | Iterable<string>, options: BpeTrainOptions): Promise<TrainedBpe> {
  let n = 0;
  const counts = await countPieces(texts, options.maxWords, () => options.onProgress?.('texts', ++n));
  return trainBpeFromCounts(counts, options);
}

export interface TokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/** The Hugging Face files for a trained BPE: tokenizer.json and tokenizer_config.json. */
export function tokenizerFiles(bpe: TrainedBpe, options: { modelMaxLength?: number } = {}): TokenizerFiles {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true };
  const [eos, pad] = [bpe.specialTokens[0] ?? null, bpe.specialTokens[1] ?? bpe.specialTokens[0] ?? null];
  return {
    tokenizerJson: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: bpe.specialTokens.map((content) => ({ id: bpe.vocab.get(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: byteLevel,
      decoder: byteLevel,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(bpe.vocab),
        merges: bpe.merges.map(([a, b]) => [a, b]),
      },
    },
    tokenizerConfig: {
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: options.modelMaxLength ?? 1024,
      bos_token: eos,
      eos_token: eos,
      unk_token: eos,
      pad_token: pad,
      add_prefix_space: false,
      clean_up_tokenization_spaces: false,
      added_tokens_decoder: Object.fromEntries(bpe.specialTokens.map((content) => [String(bpe.vocab.get(content)), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }])),
    },
  };
}

export async function saveTokenizer(dir: string, files: TokenizerFiles): Promise<void> {
  await writeFileAtomic(join(dir, 'tokenizer.json'), `${JSON.stringify(files.tokenizerJson)}\n`);
  await writeFileAtomic(join(dir, 'tokenizer_config.json'), `${JSON.stringify(files.tokenizerConfig, null, 2)}\n`);
}

export interface EncodedText {
  ids: number[];
  /** Token spans [start0, end0, start1, end1, ...] in UTF-16 units of the text. */
  offsets: Int32Array;
}

/** A tokenizer loaded through the Hugging Face library, with character offsets. */
export class CodeTokenizer {
  readonly vocabSize: number;
  private readonly byteLength: Int32Array;

  constructor(readonly hf: Tokenizer, readonly files: TokenizerFiles) {
    const vocab = (files.tokenizerJson.model as { vocab: Record<string, number> }).vocab;
    this.vocabSize = Object.keys(vocab).length;
    this.byteLength = new Int32Array(this.vocabSize);
    for (const [token, id] of Object.entries(vocab)) {
      let bytes = 0;
      for (const ch of token) bytes += CHAR_TO_BYTE.has(ch) ? 1 : encoder.encode(ch).length;
      this.byteLength[id] = bytes;
    }
  }

  static async load(dir: string): Promise<CodeTokenizer> {
    let tokenizerJson: Record<string, unknown>;
    let tokenizerConfig: Record<string, unknown>;
    try {
      tokenizerJson = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
      tokenizerConfig = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new UserError(`cannot load a tokenizer from ${dir}: ${(error as Error).message}`, { hint: 'a tokenizer folder holds tokenizer.json and tokenizer_config.json (train one with: codegen-eval tokenizer train)' });
    }
    const model = tokenizerJson.model as { type?: string } | undefined;
    if (model?.type !== 'BPE') throw new UserError(`${dir}/tokenizer.json: model type '${model?.type}' is not BPE`, { hint: 'codegen-eval reads byte-level BPE tokenizers' });
    return new CodeTokenizer(new Tokenizer(tokenizerJson, tokenizerConfig), { tokenizerJson, tokenizerConfig });
  }

  tokenId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /** Encode without special tokens, with offsets. */
  encode(text: string): EncodedText {
    const ids: number[] = this.hf.encode(text, { add_special_tokens: false }).ids;
    const table = utf8ToUtf16Table(text);
    const offsets = new Int32Array(ids.length * 2);
    let byte = 0;
    ids.forEach((id, t) => {
      offsets[2 * t] = table[Math.min(byte, table.length - 1)];
      byte += this.byteLength[id];
      offsets[2 * t + 1] = table[Math.min(byte, table.length - 1)];
    });
    if (byte !== table.length - 1) throw new Error(`tokenizer byte lengths (${byte}) do not add up to the text's ${table.length - 1} bytes`);
    return { ids, offsets };
  }

  decode(ids: number[]): string {
    if (ids.length === 0) return ''; // the HF library refuses an empty list
    return this.hf.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }
}
