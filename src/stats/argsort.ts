/**
 * Stable ascending argsort of doubles by least-significant-digit radix sort on their IEEE-754 bits,
 * O(n): bits are mapped so that unsigned order equals numeric order (negative: all bits flipped;
 * positive: sign bit set). Ties keep input order. NaN sorts last. Six passes of 11 bits, whose
 * 2,048 counters stay in L1 cache; the keys move with their indices, so each pass reads in order;
 * a pass whose digit is the same for every value (the exponent of probabilities, say) is skipped.
 * Reference: Knuth, The Art of Computer Programming 3 (2nd ed.), 5.2.5.
 */
const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
const MASK = BUCKETS - 1;
const PASSES = 6;

/** Digit `pass` (0 = least significant) of the 64-bit key hi:lo. */
function digit(hi: number, lo: number, pass: number): number {
  const shift = pass * DIGIT_BITS;
  if (shift + DIGIT_BITS <= 32) return (lo >>> shift) & MASK;
  if (shift >= 32) return (hi >>> (shift - 32)) & MASK;
  return ((lo >>> shift) | (hi << (32 - shift))) & MASK;
}

export function argsort(values: ArrayLike<number>): Int32Array {
  const n = values.length;
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) f[i] = Number.isNaN(values[i]) ? Infinity : values[i] === 0 ? 0 : values[i]; // -0 as 0
  const bits = new Uint32Array(f.buffer);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let order = new Int32Array(n);
  const counts = new Int32Array(PASSES * BUCKETS);
  for (let i = 0; i < n; i++) {
    const h = bits[2 * i + 1];
    const l = bits[2 * i];
    const negative = (h & 0x80000000) !== 0;
    const kh = negative ? ~h >>> 0 : (h | 0x80000000) >>> 0;
    const kl = negative ? ~l >>> 0 : l;
    hi[i] = kh;
    lo[i] = kl;
    order[i] = i;
    for (let pass = 0; pass < PASSES; pass++) counts[pass * BUCKETS + digit(kh, kl, pass)]++;
  }
  let nextLo = new Uint32Array(n);
  let nextHi = new Uint32Array(n);
  let nextOrder = new Int32Array(n);
  const starts = new Int32Array(BUCKETS);
  for (let pass = 0; pass < PASSES; pass++) {
    const base = pass * BUCKETS;
    let total = 0;
    let skip = false;
    for (let d = 0; d < BUCKETS; d++) {
      const c = counts[base + d];
      if (c === n) skip = true;
      starts[d] = total;
      total += c;
    }
    if (skip) continue;
    for (let i = 0; i < n; i++) {
      const h = hi[i];
      const l = lo[i];
      const at = starts[digit(h, l, pass)]++;
      nextHi[at] = h;
      nextLo[at] = l;
      nextOrder[at] = order[i];
    }
    [hi, nextHi] = [nextHi, hi];
    [lo, nextLo] = [nextLo, lo];
    [order, nextOrder] = [nextOrder, order];
  }
  return order;
}
