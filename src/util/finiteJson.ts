/**
 * JSON has no NaN or Infinity: JSON.stringify writes them as null without a word. `nonFinitePaths`
 * finds them first (as `analyses[0].paired[3].ci[1]`), so that a report can say which values are
 * null and why, and `toFiniteJson` writes them as null on purpose.
 */
export function nonFinitePaths(value: unknown, path = '', found: string[] = []): string[] {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) found.push(`${path || '(root)'} = ${value}`);
  } else if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = value as ArrayLike<unknown>;
    for (let i = 0; i < items.length; i++) nonFinitePaths(items[i], `${path}[${i}]`, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) nonFinitePaths(v, path ? `${path}.${key}` : key, found);
  }
  return found;
}

export function toFiniteJson(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
