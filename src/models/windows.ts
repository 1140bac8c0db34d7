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
