/**
 * A p-value as a paper prints it (APA 7th ed., 6.36): "p = 0.012", or "p < 0.001" below 0.001 (never
 * "p = 0.00" or "p = 0", which claim a certainty no test gives); "p = –" when there is none.
 */
export function formatP(p: number | null | undefined, name = 'p'): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return `${name} = –`;
  return p < 0.001 ? `${name} < 0.001` : `${name} = ${p.toFixed(3)}`;
}
