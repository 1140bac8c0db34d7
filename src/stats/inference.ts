import { normalQuantile, tQuantile, twoSidedNormal, twoSidedT } from './distributions.ts';

/** A test of one coefficient: t (or z) statistic, p-values and intervals, t-based and normal. */
export interface CoefficientTest {
  estimate: number;
  se: number;
  statistic: number;
  df: number;
  pT: number;
  pNormal: number;
  ciT: [number, number];
  ciNormal: [number, number];
}

/**
 * t intervals with qt(1 - alpha/2, df) (lmtest::coefci's convention, also for sandwich SEs) and
 * normal intervals with qnorm(1 - alpha/2). A zero SE gives no test (NaN statistic): the caller warns.
 */
export function coefficientTest(estimate: number, se: number, df: number, level = 0.95): CoefficientTest {
  const statistic = estimate / se;
  const qt = Number.isFinite(df) ? tQuantile(1 - (1 - level) / 2, df) : normalQuantile(1 - (1 - level) / 2);
  const qn = normalQuantile(1 - (1 - level) / 2);
  return {
    estimate,
    se,
    statistic,
    df,
    pT: Number.isFinite(df) ? twoSidedT(statistic, df) : twoSidedNormal(statistic),
    pNormal: twoSidedNormal(statistic),
    ciT: [estimate - qt * se, estimate + qt * se],
    ciNormal: [estimate - qn * se, estimate + qn * se],
  };
}
