/**
 * E-values for sensitivity to unmeasured confounding (VanderWeele & Ding 2017, Ann Intern Med 167(4)):
 * for a risk ratio RR >= 1, E = RR + sqrt(RR (RR - 1)) (RR < 1 is inverted first); the E-value of a
 * confidence interval uses the limit closest to 1 and is 1 when the interval contains 1. A
 * standardised mean difference d converts by RR = exp(0.91 d), its lower limit exp(0.91 d - 1.78 se)
 * (EValue::evalues.MD).
 */
export function evalueRR(rr: number): number {
  if (!(rr > 0)) throw new Error(`risk ratio must be positive, got ${rr}`);
  const r = rr < 1 ? 1 / rr : rr;
  return r + Math.sqrt(r * (r - 1));
}

export interface EValue {
  rr: number;
  point: number;
  /** E-value of the confidence limit closest to 1 (1 when the interval contains 1). */
  ci: number | null;
}

export function evalueFromRR(rr: number, lower?: number, upper?: number): EValue {
  let ci: number | null = null;
  if (lower !== undefined || upper !== undefined) {
    const lo = lower ?? -Infinity;
    const hi = upper ?? Infinity;
    if (lo <= 1 && hi >= 1) ci = 1;
    else ci = evalueRR(rr > 1 ? lo : hi);
  }
  return { rr, point: evalueRR(rr), ci };
}

/** E-value of a standardised mean difference d (with its SE for the interval's E-value). */
export function evalueFromSMD(d: number, se?: number): EValue {
  const rr = Math.exp(0.91 * d);
  if (se === undefined) return { rr, point: evalueRR(rr), ci: null };
  const limit = d >= 0 ? Math.exp(0.91 * d - 1.78 * se) : Math.exp(0.91 * d + 1.78 * se);
  return { rr, point: evalueRR(rr), ci: (d >= 0 ? limit <= 1 : limit >= 1) ? 1 : evalueRR(limit) };
}
