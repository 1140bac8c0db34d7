/**
 * Jensen-Shannon divergence JS(P, Q) = KL(P || M) / 2 + KL(Q || M) / 2 with M = (P + Q) / 2,
 * 0 log 0 = 0, and the JS distance sqrt(JS) (Endres & Schindelin 2003; scipy's jensenshannon).
 * Inputs are normalised to sum 1. Base 2 by default (distance in [0, 1]).
 */
export function jensenShannonDivergence(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  if (p.length !== q.length) throw new Error('distributions must have the same support');
  let sp = 0, sq = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] < 0 || q[i] < 0) throw new Error('probabilities must be non-negative');
    sp += p[i];
    sq += q[i];
  }
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / sp;
    const b = q[i] / sq;
    const m = (a + b) / 2;
    if (a > 0) js += 0.5 * a * Math.log(a / m);
    if (b > 0) js += 0.5 * b * Math.log(b / m);
  }
  return Math.max(0, js / Math.log(base));
}

export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  return Math.sqrt(jensenShannonDivergence(p, q, base));
}
