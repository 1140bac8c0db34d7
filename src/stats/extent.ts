/**
 * The smallest and the largest of a data-sized array, by a loop: `Math.min(...values)` passes every
 * value as an argument and throws RangeError past about 150,000 of them. NaN for an empty array;
 * a NaN among the values gives NaN, as Math.min does.
 */
export function minOf(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let m = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) return NaN;
    if (v < m) m = v;
  }
  return m;
}

export function maxOf(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}
