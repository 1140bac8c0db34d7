/**
 * Kernels the TensorFlow.js wasm backend lacks or runs slowly, registered through TensorFlow.js's own
 * kernel registry (no edits under node_modules). Pinned to @tensorflow/tfjs-backend-wasm 4.22.0, whose
 * BackendWasm exposes `makeOutput`, `typedArrayFromHeap`, `incRef` and `disposeData`; a parity test
 * runs each against the stock kernel and the cpu backend (`useStockKernels` switches back and forth).
 *
 * - UnsortedSegmentSum (missing): the gradient of an embedding lookup scatters rows back with it.
 * - BatchMatMul: the stock kernel uses XNNPACK only for one unbatched product without transposes and
 *   falls into a naive loop (0.2-3 GFLOP/s) otherwise, which is every backward product and every
 *   attention product. This one transposes operands on the wasm heap (blocked), then runs each
 *   product through the stock kernel's XNNPACK path. A transposed operand is kept while its source
 *   lives, so a recurrent weight used at every step of backprop is transposed once; the matrices of a
 *   batched product are zero-copy views; a large a^T b is computed as (b^T a)^T when that packs less.
 *   Where onnxruntime-node loads, every product goes to it instead (onnxMatMul.ts, `setMatMulEngine`),
 *   2-4x faster than XNNPACK; the XNNPACK route is the fallback and `CODEGEN_EVAL_MATMUL=xnnpack`.
 * - Identity: the stock kernel copies; the engine clones every tensor it saves for backprop, so each
 *   step copied every weight and activation. This one shares the data (reference-counted), as the cpu
 *   backend does, which also lets XNNPACK reuse its packed weights. A Cast to the same dtype (every
 *   Multiply gradient casts its operand) shares the same way.
 * - Unpack (unstack, every RNN step) and SplitV: the stock kernels slice element by element; these
 *   copy contiguous blocks.
 * - Tanh: the stock kernel is scalar (14 ns per element here); tanh(x) = 2 sigmoid(2x) - 1 goes
 *   through XNNPACK's vectorised sigmoid (about 1 ns).
 * - Sum over leading axes (bias gradients): the stock kernel transposes first; this one adds rows.
 * - Transpose of the last two axes: blocked, instead of the stock element-wise index arithmetic (other
 *   permutations, and Concat, are as fast in the stock kernels: measured, not overridden).
 * - GatherV2 along the first axis (embedding lookups): row copies.
 * And kernels of codegen-eval's own, under names of their own: a fused AdamW update, the gradients'
 * sum of squares, and the ranks of target logits (the scorer's), each one pass over the heap.
 */
import {
  getKernel, registerKernel, unregisterKernel, util,
  type DataId, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { OnnxMatMul } from './onnxMatMul.ts';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

type Values = Float32Array | Int32Array | Uint8Array;

/** dst[to, to + n) = src[from, from + n); a plain loop for short runs, where a subarray view costs more than the copy. */
function copy(dst: Values, to: number, src: Values, from: number, n: number): void {
  if (n >= 16) dst.set(src.subarray(from, from + n), to);
  else for (let j = 0; j < n; j++) dst[to + j] = src[from + j];
}
type Run = (args: { inputs: Record<string, TensorInfo>; attrs: NamedAttrMap; backend: BackendWasm }) => TensorInfo | TensorInfo[];

/** Run the stock wasm kernel of an op from inside another kernel. */
function stockKernel(name: string): KernelFunc {
  const entry = installed.get(name);
  const config = entry ? entry.stock : getKernel(name, 'wasm');
  if (!config) throw new Error(`no stock wasm kernel ${name}`);
  return config.kernelFunc;
}

const unsortedSegmentSum: Run = ({ inputs, attrs, backend }) => {
  const { x, segmentIds } = inputs;
  const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
  const rows = size(segmentIds.shape);
  const tail = x.shape.slice(segmentIds.shape.length);
  const inner = size(tail);
  const out = backend.makeOutput([numSegments, ...tail], x.dtype);
  const values = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const result = backend.typedArrayFromHeap(out);
  result.fill(0);
  for (let r = 0; r < rows; r++) {
    const s = ids[r];
    if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range segments
    const src = r * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) result[dst + j] += values[src + j];
  }
  return out;
};

/**
 * Swap the last two dimensions of a tensor on the wasm heap, in 8 x 8 tiles, writing each output row
 * in order (measured here: 1.3 ns per element, against 5.6 for 32 x 32 tiles written column-wise).
 */
function transposeLastTwo(wasm: BackendWasm, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const rows = x.shape[r - 2];
  const cols = x.shape[r - 1];
  const batch = size(x.shape.slice(0, -2));
  const out = wasm.makeOutput([...x.shape.slice(0, -2), cols, rows], x.dtype);
  const src = wasm.typedArrayFromHeap(x);
  const dst = wasm.typedArrayFromHeap(out);
  const T = 8;
  for (let b = 0; b < batch; b++) {
    const off = b * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += T) {
      const i1 = Math.min(rows, i0 + T);
      for (let j0 = 0; j0 < cols; j0 += T) {
        const j1 = Math.min(cols, j0 + T);
        for (let j = j0; j < j1; j++) {
          const d = off + j * rows;
          for (let i = i0; i < i1; i++) dst[d + i] = src[off + i * cols + j];
        }
      }
    }
  }
  return out;
}

/**
 * Transposed copies of tensors, kept while the source lives. The backend's disposeData is wrapped
 * (on the instance) so that a copy is freed with its source; tensor data is immutable, so a copy
 * never goes stale.
 */
const transposedOf = new WeakMap<DataId, TensorInfo>();
const wrapped = new WeakSet<BackendWasm>();
function transposedCached(wasm: BackendWasm, x: TensorInfo): TensorInfo {
  if (!wrapped.has(wasm)) {
    wrapped.add(wasm);
    const dispose = wasm.disposeData.bind(wasm);
    wasm.disposeData = (dataId: DataId, force?: boolean) => {
      const released = dispose(dataId, force);
      const copy = transposedOf.get(dataId);
      if (copy && !wasm.dataIdMap.has(dataId)) {
        transposedOf.delete(dataId);
        dispose(copy.dataId, true);
      }
      return released;
    };
  }
  const hit = transposedOf.get(x.dataId);
  // shapes differ when the same data is seen through a reshape
  if (hit && size(hit.shape) === size(x.shape) && hit.shape[hit.shape.length - 1] === x.shape[x.shape.length - 2]) {
    return { ...hit, shape: [...x.shape.slice(0, -2), x.shape[x.shape.length - 1], x.shape[x.shape.length - 2]] };
  }
  const copy = transposeLastTwo(wasm, x);
  if (hit) dispose(wasm, hit);
  transposedOf.set(x.dataId, copy);
  return copy;
}

function dispose(wasm: BackendWasm, t: TensorInfo): void {
  wasm.disposeData(t.dataId, true);
}

interface HeapEntry { id: number; memoryOffset: number; shape: number[]; dtype: string; refCount: number }
interface BackendInternals { dataIdNextNumber: number; dataIdMap: { get(d: DataId): HeapEntry; set(d: DataId, e: HeapEntry): void; delete(d: DataId): void } }

/**
 * A [1, rows, cols] tensor that is matrix `index` of a batched tensor, without a copy: a tensor id
 * registered over the same heap bytes. Release it with `releaseView`, never with disposeData.
 */
function matrixView(wasm: BackendWasm, x: TensorInfo, index: number, rows: number, cols: number): TensorInfo {
  const internals = wasm as unknown as BackendInternals;
  const base = internals.dataIdMap.get(x.dataId);
  const dataId = {};
  const id = internals.dataIdNextNumber++;
  const memoryOffset = base.memoryOffset + index * rows * cols * 4;
  internals.dataIdMap.set(dataId, { id, memoryOffset, shape: [1, rows, cols], dtype: x.dtype, refCount: 1 });
  wasm.wasm.tfjs.registerTensor(id, rows * cols, memoryOffset);
  return { dataId, shape: [1, rows, cols], dtype: x.dtype };
}

function releaseView(wasm: BackendWasm, view: TensorInfo): void {
  const internals = wasm as unknown as BackendInternals;
  wasm.wasm.tfjs.disposeData(internals.dataIdMap.get(view.dataId).id);
  internals.dataIdMap.delete(view.dataId);
}

/** Where BatchMatMul runs its products: onnxruntime (onnxMatMul.ts) when set, else XNNPACK. */
let matMulEngine: OnnxMatMul | undefined;
export function setMatMulEngine(engine: OnnxMatMul | undefined): void {
  matMulEngine = engine;
}
export function currentMatMulEngine(): OnnxMatMul | undefined {
  return matMulEngine;
}

const batchMatMul: Run = ({ inputs, attrs, backend: wasm }) => {
  const stock = stockKernel('BatchMatMul');
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const outM = a.shape[a.shape.length - (transposeA ? 1 : 2)];
  const outN = b.shape[b.shape.length - (transposeB ? 2 : 1)];
  if (a.dtype === 'float32' && a.shape[a.shape.length - (transposeA ? 2 : 1)] === 0) {
    // an empty sum: zeros (the stock kernel leaves the output unwritten)
    const zeros = wasm.makeOutput(broadcastOuter(a, b, outM, outN), 'float32');
    wasm.typedArrayFromHeap(zeros).fill(0);
    return zeros;
  }
  if (matMulEngine && a.dtype === 'float32' && b.dtype === 'float32' && size(a.shape) > 0 && size(b.shape) > 0) {
    return matMulEngine.matMul(wasm, a, b, transposeA, transposeB, broadcastOuter(a, b, outM, outN));
  }
  if (transposeA && !transposeB && a.shape.length === 2 && b.shape.length === 2) {
    // a^T b with a [K, M], b [K, N]: XNNPACK packs its right operand on every call, and packing a
    // large one (K N >= 4M floats) costs more than transposing it; then (b^T a)^T is faster
    const [K, M] = a.shape;
    const N = b.shape[1];
    if (K * N >= 4 * 2 ** 20 && N > M) {
      const bT = transposeLastTwo(wasm, b);
      const flipped = stock({ inputs: { a: { ...bT, shape: [1, N, K] }, b: { ...a, shape: [1, K, M] } }, attrs: { transposeA: false, transposeB: false }, backend: wasm }) as TensorInfo;
      dispose(wasm, bT);
      return flippedResult(wasm, flipped, N, M);
    }
  }
  const plainA = transposeA ? transposedCached(wasm, a) : a;
  const plainB = transposeB ? transposedCached(wasm, b) : b;
  const [M, K] = plainA.shape.slice(-2);
  const N = plainB.shape[plainB.shape.length - 1];
  const batchA = size(plainA.shape.slice(0, -2));
  const batchB = size(plainB.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  const plain = { transposeA: false, transposeB: false };
  let result: TensorInfo;
  if (batch === 1) {
    const a3 = { ...plainA, shape: [1, M, K] };
    const b3 = { ...plainB, shape: [1, K, N] };
    result = stock({ inputs: { a: a3, b: b3 }, attrs: plain, backend: wasm }) as TensorInfo;
  } else {
    const outerShape = (batchA >= batchB ? plainA : plainB).shape.slice(0, -2);
    result = wasm.makeOutput([...outerShape, M, N], 'float32');
    for (let i = 0; i < batch; i++) {
      const ai = matrixView(wasm, plainA, batchA === 1 ? 0 : i, M, K);
      const bi = matrixView(wasm, plainB, batchB === 1 ? 0 : i, K, N);
      const oi = stock({ inputs: { a: ai, b: bi }, attrs: plain, backend: wasm }) as TensorInfo;
      // after the product's allocation (a grown unshared memory detaches older views)
      wasm.typedArrayFromHeap(result).set(wasm.typedArrayFromHeap(oi), i * M * N);
      releaseView(wasm, ai);
      releaseView(wasm, bi);
      dispose(wasm, oi);
    }
  }
  return { ...result, shape: broadcastOuter(a, b, M, N) };
};

/** The transpose [M, N] of a product [1, N, M], freeing the product. */
function flippedResult(wasm: BackendWasm, flipped: TensorInfo, N: number, M: number): TensorInfo {
  const out = transposeLastTwo(wasm, { ...flipped, shape: [N, M] });
  dispose(wasm, flipped);
  return out;
}

/** The output shape the op expects: the broadcast batch dimensions, then M x N. */
function broadcastOuter(a: TensorInfo, b: TensorInfo, M: number, N: number): number[] {
  const [long, short] = a.shape.length >= b.shape.length ? [a, b] : [b, a];
  const outer = long.shape.slice(0, -2);
  const other = short.shape.slice(0, -2);
  return [...outer.map((d, i) => {
    const j = i - (outer.length - other.length);
    return j >= 0 ? Math.max(d, other[j]) : d;
  }), M, N];
}

const identity: Run = ({ inputs: { x }, backend }) => {
  if (x.dtype === 'string') return stockKernel('Identity')({ inputs: { x }, backend, attrs: {} }) as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

/** Cast to the dtype a tensor already has (every Multiply gradient does it) shares, as Identity. */
const cast: Run = ({ inputs: { x }, attrs, backend }) => {
  if (x.dtype === (attrs as unknown as { dtype: string }).dtype && x.dtype !== 'string') return identity({ inputs: { x }, attrs: {}, backend }) as TensorInfo;
  return stockKernel('Cast')({ inputs: { x }, backend, attrs });
};

const unpack: Run = ({ inputs: { value }, attrs, backend }) => {
  if (value.dtype === 'string') return stockKernel('Unpack')({ inputs: { value }, backend, attrs });
  const axis = util.parseAxisParam((attrs as unknown as { axis: number }).axis, value.shape)[0];
  const n = value.shape[axis];
  const outer = size(value.shape.slice(0, axis));
  const inner = size(value.shape.slice(axis + 1));
  const shape = value.shape.filter((_, i) => i !== axis);
  const outs = Array.from({ length: n }, () => backend.makeOutput(shape, value.dtype));
  // views are taken after every allocation: growing an unshared wasm memory detaches older views
  const src = backend.typedArrayFromHeap(value);
  outs.forEach((out, j) => {
    const dst = backend.typedArrayFromHeap(out);
    for (let o = 0; o < outer; o++) copy(dst, o * inner, src, (o * n + j) * inner, inner);
  });
  return outs;
};

const splitV: Run = ({ inputs: { x }, attrs, backend }) => {
  const { numOrSizeSplits, axis: axisAttr } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  if (x.dtype === 'string') return stockKernel('SplitV')({ inputs: { x }, backend, attrs });
  const axis = util.parseAxisParam(axisAttr, x.shape)[0];
  const n = x.shape[axis];
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') sizes = Array(numOrSizeSplits).fill(n / numOrSizeSplits);
  else {
    const known = numOrSizeSplits.reduce((s, v) => (v === -1 ? s : s + v), 0);
    sizes = numOrSizeSplits.map((v) => (v === -1 ? n - known : v));
  }
  const outer = size(x.shape.slice(0, axis));
  const inner = size(x.shape.slice(axis + 1));
  const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, i) => (i === axis ? s : d)), x.dtype));
  const src = backend.typedArrayFromHeap(x);
  let offset = 0;
  outs.forEach((out, k) => {
    const dst = backend.typedArrayFromHeap(out);
    const block = sizes[k] * inner;
    for (let o = 0; o < outer; o++) copy(dst, o * block, src, (o * n + offset) * inner, block);
    offset += sizes[k];
  });
  return outs;
};

/** A float32 scalar on the heap, for the element-wise kernels below. */
function scalar(wasm: BackendWasm, value: number): TensorInfo {
  const t = wasm.makeOutput([], 'float32');
  wasm.typedArrayFromHeap(t)[0] = value;
  return t;
}

const tanh: Run = ({ inputs: { x }, backend }) => {
  if (x.dtype !== 'float32') return stockKernel('Tanh')({ inputs: { x }, backend, attrs: {} });
  const two = scalar(backend, 2);
  const one = scalar(backend, 1);
  const doubled = stockKernel('Multiply')({ inputs: { a: x, b: two }, backend, attrs: {} }) as TensorInfo;
  const s = stockKernel('Sigmoid')({ inputs: { x: doubled }, backend, attrs: {} }) as TensorInfo;
  const s2 = stockKernel('Multiply')({ inputs: { a: s, b: two }, backend, attrs: {} }) as TensorInfo;
  const out = stockKernel('Sub')({ inputs: { a: s2, b: one }, backend, attrs: {} }) as TensorInfo;
  for (const t of [two, one, doubled, s, s2]) dispose(backend, t);
  return out;
};

/** A [1, n] row of ones on the heap: a view of the longest one made so far, kept for the backend's life. */
const ones = new WeakMap<BackendWasm, TensorInfo>();
function onesRow(wasm: BackendWasm, n: number): TensorInfo {
  let row = ones.get(wasm);
  if (!row || size(row.shape) < n) {
    if (row) dispose(wasm, row);
    row = wasm.makeOutput([1, Math.max(n, 2 * size(row?.shape ?? [0]))], 'float32');
    wasm.typedArrayFromHeap(row).fill(1);
    ones.set(wasm, row);
  }
  return { ...row, shape: [1, n] };
}

const sum: Run = ({ inputs: { x }, attrs, backend }) => {
  const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  const leading = axes.every((ax, i) => ax === i) && axes.length < x.shape.length;
  if (x.dtype !== 'float32' || !leading || axes.length === 0) return stockKernel('Sum')({ inputs: { x }, backend, attrs });
  const rows = size(x.shape.slice(0, axes.length));
  const tail = x.shape.slice(axes.length);
  const inner = size(tail);
  const outShape = keepDims ? [...axes.map(() => 1), ...tail] : tail;
  if (matMulEngine) {
    // ones[1, rows] x x[rows, inner]: MLAS adds the rows far faster than a scalar loop
    const sums = matMulEngine.matMul(backend, onesRow(backend, rows), { ...x, shape: [rows, inner] }, false, false, [1, inner]);
    return { ...sums, shape: outShape };
  }
  const src = backend.typedArrayFromHeap(x);
  const acc = new Float64Array(inner);
  for (let r = 0; r < rows; r++) {
    const off = r * inner;
    for (let j = 0; j < inner; j++) acc[j] += src[off + j];
  }
  const out = backend.makeOutput(outShape, 'float32');
  backend.typedArrayFromHeap(out).set(acc);
  return out;
};

const transpose: Run = ({ inputs: { x }, attrs, backend }) => {
  const perm = (attrs as unknown as { perm: number[] }).perm;
  const r = perm.length;
  const swapsLastTwo = r >= 2 && perm[r - 1] === r - 2 && perm[r - 2] === r - 1 && perm.slice(0, -2).every((p, i) => p === i);
  if (x.dtype !== 'string' && swapsLastTwo) return transposeLastTwo(backend, x);
  return stockKernel('Transpose')({ inputs: { x }, backend, attrs });
};

/** Gather along axis 0 (an embedding lookup): whole rows copied; other cases go to the stock kernel. */
const gatherV2: Run = ({ inputs: { x, indices }, attrs, backend }) => {
  const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
  const along = util.parseAxisParam(axis, x.shape)[0];
  if (along !== 0 || batchDims !== 0 || x.dtype === 'string') return stockKernel('GatherV2')({ inputs: { x, indices }, backend, attrs });
  const n = x.shape[0];
  const inner = size(x.shape.slice(1));
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  const ids = backend.typedArrayFromHeap(indices);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  for (let i = 0; i < ids.length; i++) {
    const row = ids[i];
    if (!(row >= 0 && row < n)) {
      dispose(backend, out);
      throw new Error(`GatherV2: the index value ${row} is not in [0, ${n - 1}]`);
    }
    if (inner === 1) dst[i] = src[row];
    else copy(dst, i * inner, src, row * inner, inner);
  }
  return out;
};

/**
 * One AdamW update of a parameter in a single pass (the optimizer's dozen element-wise ops otherwise
 * cost a tenth of a GPT step): with g' = scale g,
 *   m' = beta1 m + (1 - beta1) g',  v' = beta2 v + (1 - beta2) g'^2,
 *   p' = decay p - lr (m' / b1) / (sqrt(v' / b2) + eps).
 * Outputs [p', m', v']. Registered under a name of its own; optimizer.ts runs it on wasm.
 */
export const ADAMW_KERNEL = 'CodegenEvalAdamW';
export interface AdamWAttrs { lr: number; beta1: number; beta2: number; b1: number; b2: number; eps: number; decay: number; scale: number }

const adamW: Run = ({ inputs: { p, m, v, g }, attrs, backend }) => {
  const { lr, beta1, beta2, b1, b2, eps, decay, scale } = attrs as unknown as AdamWAttrs;
  const outs = [p, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
  const [P, M, Vv, G] = [p, m, v, g].map((t) => backend.typedArrayFromHeap(t));
  const [P1, M1, V1] = outs.map((t) => backend.typedArrayFromHeap(t));
  for (let i = 0; i < P.length; i++) {
    const gi = scale * G[i];
    const mi = beta1 * M[i] + (1 - beta1) * gi;
    const vi = beta2 * Vv[i] + (1 - beta2) * gi * gi;
    M1[i] = mi;
    V1[i] = vi;
    P1[i] = decay * P[i] - (lr * (mi / b1)) / (Math.sqrt(vi / b2) + eps);
  }
  return outs;
};

/** The sum of squares of all inputs (the gradients' global norm, squared), in one pass each. */
export const SUM_OF_SQUARES_KERNEL = 'CodegenEvalSumOfSquares';
const sumOfSquares: Run = ({ inputs, backend }) => {
  let total = 0;
  for (const t of Object.values(inputs)) {
    const x = backend.typedArrayFromHeap(t);
    for (let i = 0; i < x.length; i++) total += x[i] * x[i];
  }
  const out = backend.makeOutput([], 'float32');
  backend.typedArrayFromHeap(out)[0] = total;
  return out;
};

/**
 * Ranks of targets: per row of logits [N, V], 1 + the number of logits above targetLogits [N]
 * (int32 [N]). Read on the heap: the scorer would otherwise copy every logit out to count them.
 */
export const RANKS_KERNEL = 'CodegenEvalRanks';
const ranks: Run = ({ inputs: { logits, targetLogits }, backend }) => {
  const [N, V] = logits.shape;
  const out = backend.makeOutput([N], 'int32');
  const x = backend.typedArrayFromHeap(logits);
  countRanks(x, backend.typedArrayFromHeap(targetLogits), V, backend.typedArrayFromHeap(out) as Int32Array);
  return out;
};

/** ranks[i] = 1 + the number of logits in row i (of `vocab`) above targetLogits[i]. */
export function countRanks(logits: ArrayLike<number>, targetLogits: ArrayLike<number>, vocab: number, ranks: Int32Array): Int32Array {
  for (let i = 0; i < targetLogits.length; i++) {
    const target = targetLogits[i];
    let above = 0;
    for (let j = i * vocab, end = j + vocab; j < end; j++) if (logits[j] > target) above++;
    ranks[i] = above + 1;
  }
  return ranks;
}

const OWN_KERNELS: Record<string, Run> = { [ADAMW_KERNEL]: adamW, [SUM_OF_SQUARES_KERNEL]: sumOfSquares, [RANKS_KERNEL]: ranks };

const OVERRIDES: Record<string, Run> = {
  GatherV2: gatherV2,
  UnsortedSegmentSum: unsortedSegmentSum,
  BatchMatMul: batchMatMul,
  Identity: identity,
  Cast: cast,
  Unpack: unpack,
  SplitV: splitV,
  Tanh: tanh,
  Sum: sum,
  Transpose: transpose,
};

/** For each overridden kernel: the stock config (none for a missing kernel) and ours. */
const installed = new Map<string, { stock: KernelConfig | undefined; fast: KernelConfig }>();

/** Register the missing and faster wasm kernels (idempotent; before the wasm backend starts). */
export function registerWasmKernels(): void {
  for (const [name, run] of Object.entries(OWN_KERNELS)) {
    if (!getKernel(name, 'wasm')) registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: run as unknown as KernelFunc });
  }
  for (const [name, run] of Object.entries(OVERRIDES)) {
    if (installed.has(name)) continue;
    const stock = getKernel(name, 'wasm');
    // the stock kernels bind their wasm functions in setupFunc, run when the backend initialises
    const fast: KernelConfig = { kernelName: name, backendName: 'wasm', kernelFunc: run as unknown as KernelFunc, setupFunc: stock?.setupFunc };
    if (stock) unregisterKernel(name, 'wasm');
    registerKernel(fast);
    installed.set(name, { stock, fast });
  }
}

/**
 * Switch every overridden kernel between ours and the stock one (parity tests; the benchmark's stock
 * column). Missing kernels stay registered. The wasm backend must already be initialised.
 */
export function useStockKernels(stock: boolean): void {
  for (const [name, { stock: original, fast }] of installed) {
    if (!original) continue;
    unregisterKernel(name, 'wasm');
    registerKernel(stock ? original : fast);
  }
}
