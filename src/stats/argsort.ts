/**
 * Stable ascending argsort of doubles by least-significant-digit radix sort on their IEEE-754 bits
 * (4 passes of 16 bits), O(n): bits are mapped so that unsigned order equals numeric order (negative:
 * all bits flipped; positive: sign bit set). Ties keep input order. NaN sorts last.
 */
export function argsort(values: ArrayLike<number>): Int32Array {
  const n = values.length;
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) f[i] = Number.isNaN(values[i]) ? Infinity : values[i] === 0 ? 0 : values[i]; // -0 as 0
  const bits = new Uint32Array(f.buffer);
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = bits[2 * i + 1];
    const l = bits[2 * i];
    if (h & 0x80000000) {
      hi[i] = ~h >>> 0;
      lo[i] = ~l >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = l;
    }
  }
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Int32Array(n);
  const counts = new Int32Array(65537);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((word[order[i]] >>> shift) & 0xffff) + 1]++;
    for (let d = 0; d < 65536; d++) counts[d + 1] += counts[d];
    for (let i = 0; i < n; i++) {
      const idx = order[i];
      next[counts[(word[idx] >>> shift) & 0xffff]++] = idx;
    }
    [order, next] = [next, order];
  }
  return order;
}
