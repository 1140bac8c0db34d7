/**
 * Multiple-testing adjustment, as R's p.adjust (results in input order; ties get equal values):
 * bonferroni min(1, m p); holm: cumulative max over sorted p of (m - i + 1) p (Holm 1979);
 * BH: cumulative min from the top of (m / i) p (Benjamini & Hochberg 1995); BY: BH times
 * sum_{i=1..m} 1/i (Benjamini & Yekutieli 2001). All capped at 1. NaN p-values are an error.
 */
export type PAdjustMethod = 'bonferroni' | 'holm' | 'BH' | 'BY';

export function pAdjust(p: ArrayLike<number>, method: PAdjustMethod): Float64Array {
  const m = p.length;
  for (let i = 0; i < m; i++) if (!(p[i] >= 0 && p[i] <= 1)) throw new Error(`p-value ${p[i]} at position ${i + 1} is not in [0, 1]`);
  const out = new Float64Array(m);
  if (m === 0) return out;
  if (method === 'bonferroni') {
    for (let i = 0; i < m; i++) out[i] = Math.min(1, m * p[i]);
    return out;
  }
  const order = Array.from({ length: m }, (_, i) => i);
  if (method === 'holm') {
    order.sort((a, b) => p[a] - p[b] || a - b);
    let running = 0;
    order.forEach((idx, i) => {
      running = Math.max(running, (m - i) * p[idx]);
      out[idx] = Math.min(1, running);
    });
    return out;
  }
  let q = 1; // BY's factor: the harmonic number H_m
  if (method === 'BY') for (let i = 2; i <= m; i++) q += 1 / i;
  order.sort((a, b) => p[b] - p[a] || b - a); // decreasing
  let running = Infinity;
  order.forEach((idx, k) => {
    const rank = m - k; // position in increasing order
    running = Math.min(running, (q * m * p[idx]) / rank);
    out[idx] = Math.min(1, running);
  });
  return out;
}
