/**
 * The optimal trimming threshold of Crump, Hotz, Imbens & Mitnik (2009), "Dealing with limited
 * overlap in estimation of average treatment effects", Biometrika 96(1), 187-199, Theorem 1 and
 * eq. (4): with h(x) = 1 / (e(x) (1 - e(x))), keep the units with alpha <= e(x) <= 1 - alpha, where
 * alpha = 0 if sup h <= 2 E[h], and otherwise alpha = 1/2 - sqrt(1/4 - 1/gamma) with gamma the
 * solution of gamma = 2 E[h | h <= gamma]. The sample version replaces E by the mean over units.
 * The trimmed set minimises the asymptotic variance of the ATE on the kept population among all
 * subsets defined by the propensity score (the "optimal subpopulation ATE", OSATE).
 */
export interface OverlapTrim {
  /** Keep units with alpha <= e <= 1 - alpha; 0 when no unit needs trimming. */
  alpha: number;
  /** Row indices kept, in order. */
  kept: number[];
  trimmed: number;
}

export function crumpTrim(ps: ArrayLike<number>): OverlapTrim {
  const n = ps.length;
  const h = Float64Array.from(ps, (e) => 1 / (e * (1 - e)));
  let sum = 0;
  let max = 0;
  for (const v of h) {
    sum += v;
    max = Math.max(max, v);
  }
  let alpha = 0;
  if (n > 0 && Number.isFinite(max) && max > (2 * sum) / n) {
    // f(gamma) = gamma - 2 mean(h | h <= gamma) is increasing between the sorted values of h: the
    // root lies where it changes sign; within that step mean(h | h <= gamma) is fixed, so gamma is 2 x it
    const sorted = Float64Array.from(h).sort();
    let cumulative = 0;
    let gamma = sorted[0];
    for (let k = 0; k < n; k++) {
      cumulative += sorted[k];
      const candidate = (2 * cumulative) / (k + 1);
      if (k + 1 < n && sorted[k + 1] <= candidate) continue;
      gamma = candidate;
      break;
    }
    alpha = gamma > 4 ? 0.5 - Math.sqrt(0.25 - 1 / gamma) : 0;
  } else if (!Number.isFinite(max)) {
    alpha = 0.1; // scores of exactly 0 or 1: Crump et al.'s rule of thumb, 0.1
  }
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (ps[i] >= alpha && ps[i] <= 1 - alpha) kept.push(i);
  return { alpha, kept, trimmed: n - kept.length };
}
