/** out[r] = values[indices[r]], with a plain loop (TypedArray.from with a mapping function is slow in V8). */
export function gather(values: ArrayLike<number>, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length);
  for (let r = 0; r < indices.length; r++) out[r] = values[indices[r]];
  return out;
}

export function gatherInt(values: ArrayLike<number>, indices: ArrayLike<number>): Int32Array {
  const out = new Int32Array(indices.length);
  for (let r = 0; r < indices.length; r++) out[r] = values[indices[r]];
  return out;
}
