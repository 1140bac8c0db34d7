/**
 * Training data: snippets from a corpus, split into train and validation (CodeSearchNet's partitions
 * when the records have them, else a hash of the snippet id), tokenised on the fly with an
 * end-of-text token after each snippet, and packed into fixed windows of context + 1 tokens (input =
 * the first context tokens, target = the last context). Windows pass through a seeded shuffle buffer.
 * The stream is deterministic: position (epoch, windows taken) fully identifies its state, so a
 * resumed run re-reads the corpus and skips to where the checkpoint was.
 */
import { UserError } from '../util/errors.ts';
import { readCorpus, resolveCorpus, SkipLog, type CorpusOptions } from '../corpus/index.ts';
import type { Snippet } from '../corpus/types.ts';
import { createRandom, deriveSeed } from '../util/random.ts';
import type { CodeTokenizer } from './tokenizer.ts';

export type Split = 'train' | 'valid';

export function splitOf(snippet: Snippet, validFraction: number): Split | 'test' {
  const partition = snippet.provenance.partition;
  if (partition === 'train') return 'train';
  if (partition === 'valid') return 'valid';
  if (partition === 'test') return 'test';
  return deriveSeed(0x5eed, snippet.id) / 4294967296 < validFraction ? 'valid' : 'train';
}

export interface StreamOptions {
  corpus: string;
  split: Split;
  validFraction: number;
  languages?: CorpusOptions['languages'];
  maxSnippets?: number | null;
  window: number;
  seed: number;
  /** Windows held for shuffling (train only). */
  shuffleBuffer?: number;
  warn?: (message: string) => void;
}

/** One pass over the split's snippets, as token ids with end-of-text after each. */
async function* tokenChunks(tokenizer: CodeTokenizer, eos: number, options: StreamOptions): AsyncGenerator<number[]> {
  const source = await resolveCorpus(options.corpus);
  let taken = 0;
  for await (const snippet of readCorpus(source, new SkipLog({ warn: options.warn }), { languages: options.languages })) {
    if (splitOf(snippet, options.validFraction) !== options.split) continue;
    if (options.maxSnippets && taken >= options.maxSnippets) break;
    taken++;
    const ids = tokenizer.encode(snippet.code).ids;
    ids.push(eos);
    yield ids;
  }
}

/** Windows of `window` tokens from one epoch, in corpus order. */
async function* windows(tokenizer: CodeTokenizer, eos: number, options: StreamOptions): AsyncGenerator<Int32Array> {
  let buffer: number[] = [];
  for await (const ids of tokenChunks(tokenizer, eos, options)) {
    for (const id of ids) buffer.push(id);
    while (buffer.length >= options.window) {
      yield Int32Array.from(buffer.slice(0, options.window));
      buffer = buffer.slice(options.window);
    }
  }
}

export interface StreamPosition {
  epoch: number;
  /** Windows taken in this epoch. */
  taken: number;
}

/**
 * An endless stream of training windows (epochs repeat), shuffled through a seeded buffer; starting
 * at `from` replays the stream up to that position, so the result equals an uninterrupted stream.
 */
export async function* trainWindows(tokenizer: CodeTokenizer, eos: number, options: StreamOptions, from: StreamPosition = { epoch: 0, taken: 0 }): AsyncGenerator<{ window: Int32Array; position: StreamPosition }> {
  const size = options.shuffleBuffer ?? 256;
  for (let epoch = from.epoch; ; epoch++) {
    const rng = createRandom(deriveSeed(options.seed, `epoch-${epoch}`));
    const pool: Int32Array[] = [];
    let taken = 0;
    let produced = 0;
    const emit = function* (w: Int32Array) {
      taken++;
      if (epoch > from.epoch || taken > from.taken) yield { window: w, position: { epoch, taken } };
    };
    for await (const w of windows(tokenizer, eos, options)) {
      produced++;
      if (pool.length < size) {
        pool.push(w);
        continue;
      }
      const j = rng.int(size);
      const out = pool[j];
      pool[j] = w;
      yield* emit(out);
    }
    while (pool.length > 0) yield* emit(pool.splice(rng.int(pool.length), 1)[0]);
    if (produced === 0) throw new UserError(`the training split has no complete window of ${options.window} tokens`, { hint: 'train on more code, or set a shorter model.context' });
  }
}

/** The first `count` validation windows (fixed, unshuffled). */
export async function validWindows(tokenizer: CodeTokenizer, eos: number, options: StreamOptions, count: number): Promise<Int32Array[]> {
  const out: Int32Array[] = [];
  for await (const w of windows(tokenizer, eos, { ...options, split: 'valid' })) {
    out.push(w);
    if (out.length >= count) break;
  }
  return out;
}
