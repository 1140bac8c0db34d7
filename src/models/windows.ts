/**
 * Sliding windows for adapters that score with a fixed context. The sequence is
 * seq = [bos, ...ids] (n text tokens); the window seq[start, end) predicts targets seq[firstTarget ..
 * end], each text token exactly once, and every window after the first re-reads context - stride
 * tokens so later targets keep a long left context. Text token j is target j + 1.
 */
export function* slidingWindows(n: number, context: number, stride: number): Generator<{ start: number; end: number; firstTarget: number }> {
  let scoredUpTo = 0; // targets 1..scoredUpTo are done
  for (let start = 0; scoredUpTo < n; start += stride) {
    const end = Math.min(start + context, n);
    yield { start, end, firstTarget: Math.max(scoredUpTo + 1, start + 1) };
    scoredUpTo = end;
    if (end >= n) break;
  }
}

/** The token strings of `text` from [start, end] offset pairs. */
export function tokenTexts(text: string, offsets: ArrayLike<number>, n: number): string[] {
  return Array.from({ length: n }, (_, t) => text.slice(offsets[2 * t], offsets[2 * t + 1]));
}

/** What a model gives for the scored rows of one batch of windows, in row order. */
export interface RowStatistics {
  logprobs: ArrayLike<number>;
  ranks: ArrayLike<number>;
  entropy: ArrayLike<number>;
  top?: { token: string; logprob: number }[][];
}

/**
 * Runs one batch: `input` holds `batch` windows of `length` token ids each (row-major, padded after
 * each window's tokens); `rows` are flat positions (b * length + t) whose next-token distributions
 * score `targets`.
 */
export type RunWindows = (input: Int32Array, batch: number, length: number, rows: Int32Array, targets: Int32Array) => Promise<RowStatistics>;

/**
 * Log-prob, rank and entropy of each target from its row of `logits` [positions, vocab] (computed
 * elsewhere, e.g. by onnxruntime), with one exp per logit; `decode` names the top tokens.
 */
export function statisticsFromLogits(logits: Float32Array, vocab: number, rows: Int32Array, targets: Int32Array, topK: number, decode: (id: number) => string): RowStatistics {
  const logprobs = new Float64Array(rows.length);
  const ranks = new Int32Array(rows.length);
  const entropy = new Float64Array(rows.length);
  const top: { token: string; logprob: number }[][] = [];
  rows.forEach((position, k) => {
    const row = logits.subarray(position * vocab, (position + 1) * vocab);
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) if (row[j] > max) max = row[j];
    const actual = row[targets[k]];
    let sum = 0;
    let weighted = 0;
    let rank = 1;
    for (let j = 0; j < vocab; j++) {
      const v = row[j];
      const e = Math.exp(v - max);
      sum += e;
      weighted += e * (v - max);
      if (v > actual) rank++;
    }
    const lse = max + Math.log(sum);
    logprobs[k] = actual - lse;
    ranks[k] = rank;
    // H = lse - sum p x, with p = e / sum and x measured from max
    entropy[k] = Math.log(sum) - weighted / sum;
    if (topK > 0) {
      const best = Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, topK);
      top.push(best.map((i) => ({ token: decode(i), logprob: row[i] - lse })));
    }
  });
  return { logprobs, ranks, entropy, ...(topK > 0 ? { top } : {}) };
}

/** Names how windows are padded and batched; part of a model's identity (scores depend on it). */
export const WINDOW_SCHEME = 'pow2-padded@1';

/** A window's padded length: the next power of two from 16, at most the context. */
export function paddedLength(length: number, context: number): number {
  return Math.min(context, Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(1, length)))));
}

/**
 * Score encoded texts through sliding windows, batching windows of the same padded length up to
 * `tokensPerBatch` tokens per forward pass. A window's padded length depends only on its own length,
 * and a causal model's outputs for a window do not depend on what follows it, so each token's scores
 * do not depend on which texts share its batch (a resumed run reproduces an uninterrupted one).
 */
export async function scoreInWindows(
  texts: { text: string; ids: ArrayLike<number>; offsets: Int32Array }[],
  options: { bos: number; context: number; stride: number; tokensPerBatch: number; topK: number },
  run: RunWindows,
): Promise<import('./types.ts').TokenScores[]> {
  const { bos, context, stride } = options;
  const results = texts.map(({ text, ids, offsets }) => {
    const n = ids.length;
    return {
      text, n, offsets, seq: Int32Array.from([bos, ...Array.from(ids)]),
      logprobs: new Float64Array(n).fill(NaN), ranks: new Int32Array(n), entropy: new Float64Array(n).fill(NaN),
      top: [] as { token: string; logprob: number }[][],
    };
  });
  const byLength = new Map<number, { text: number; start: number; end: number; firstTarget: number }[]>();
  results.forEach((r, text) => {
    for (const w of slidingWindows(r.n, context, stride)) {
      const length = paddedLength(w.end - w.start, context);
      if (!byLength.has(length)) byLength.set(length, []);
      byLength.get(length)!.push({ text, ...w });
    }
  });
  for (const [length, windows] of [...byLength].sort((a, b) => a[0] - b[0])) {
    const perBatch = Math.max(1, Math.floor(options.tokensPerBatch / length));
    for (let i = 0; i < windows.length; i += perBatch) {
      const batch = windows.slice(i, i + perBatch);
      const input = new Int32Array(batch.length * length).fill(bos);
      const rows: number[] = [];
      const targets: number[] = [];
      batch.forEach((w, b) => {
        const seq = results[w.text].seq;
        input.set(seq.subarray(w.start, w.end), b * length);
        for (let t = w.firstTarget; t <= w.end; t++) {
          rows.push(b * length + t - 1 - w.start);
          targets.push(seq[t]);
        }
      });
      const stats = await run(input, batch.length, length, Int32Array.from(rows), Int32Array.from(targets));
      let k = 0;
      for (const w of batch) {
        const r = results[w.text];
        for (let t = w.firstTarget; t <= w.end; t++, k++) {
          r.logprobs[t - 1] = stats.logprobs[k];
          r.ranks[t - 1] = stats.ranks[k];
          r.entropy[t - 1] = stats.entropy[k];
          if (stats.top) r.top[t - 1] = stats.top[k];
        }
      }
    }
  }
  return results.map((r) => ({
    tokens: tokenTexts(r.text, r.offsets, r.n), ids: r.seq.slice(1), offsets: r.offsets, logprobs: r.logprobs, ranks: r.ranks, entropy: r.entropy,
    ...(options.topK > 0 ? { top: r.top } : {}),
  }));
}
