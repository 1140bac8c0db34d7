/**
 * Kernels the TensorFlow.js wasm backend lacks, registered through TensorFlow.js's own kernel registry
 * (no edits under node_modules). Pinned to @tensorflow/tfjs-backend-wasm 4.22.0, whose BackendWasm
 * exposes `makeOutput` and `typedArrayFromHeap`; a parity test compares each with the cpu backend.
 *
 * - UnsortedSegmentSum: the gradient of an embedding lookup (GatherV2) scatters rows back with it;
 *   without it no model with an embedding trains on wasm. out[segment[i]] += x[i], row by row.
 * - BatchMatMul: the stock kernel uses XNNPACK only for one unbatched product without transposes and
 *   falls into a naive loop (0.2-3 GFLOP/s) otherwise, which is every backward product and every
 *   attention product. This one transposes operands on the wasm heap (blocked), then runs each
 *   product of the batch through the stock kernel's XNNPACK path and copies the results into place.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const unsortedSegmentSum: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const numSegments = (attrs as { numSegments: number }).numSegments;
    const wasm = backend as BackendWasm;
    const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
    const tail = x.shape.slice(segmentIds.shape.length);
    const inner = tail.reduce((a, b) => a * b, 1);
    const out = wasm.makeOutput([numSegments, ...tail], x.dtype);
    const values = wasm.typedArrayFromHeap(x);
    const ids = wasm.typedArrayFromHeap(segmentIds);
    const result = wasm.typedArrayFromHeap(out);
    result.fill(0);
    for (let r = 0; r < rows; r++) {
      const s = ids[r];
      if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range segments
      const src = r * inner;
      const dst = s * inner;
      for (let j = 0; j < inner; j++) result[dst + j] += values[src + j];
    }
    return out;
  },
};

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Swap the last two dimensions of a tensor on the wasm heap, in 32 x 32 tiles. */
function transposeLastTwo(wasm: BackendWasm, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const rows = x.shape[r - 2];
  const cols = x.shape[r - 1];
  const batch = size(x.shape.slice(0, -2));
  const out = wasm.makeOutput([...x.shape.slice(0, -2), cols, rows], x.dtype);
  const src = wasm.typedArrayFromHeap(x);
  const dst = wasm.typedArrayFromHeap(out);
  const T = 32;
  for (let b = 0; b < batch; b++) {
    const off = b * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += T) {
      const i1 = Math.min(rows, i0 + T);
      for (let j0 = 0; j0 < cols; j0 += T) {
        const j1 = Math.min(cols, j0 + T);
        for (let i = i0; i < i1; i++) {
          const s = off + i * cols;
          for (let j = j0; j < j1; j++) dst[off + j * rows + i] = src[s + j];
        }
      }
    }
  }
  return out;
}

/** A [1, rows, cols] tensor holding one matrix of a batched tensor (a copy on the heap). */
function sliceMatrix(wasm: BackendWasm, x: TensorInfo, index: number, rows: number, cols: number): TensorInfo {
  const out = wasm.makeOutput([1, rows, cols], x.dtype);
  const n = rows * cols;
  wasm.typedArrayFromHeap(out).set(wasm.typedArrayFromHeap(x).subarray(index * n, (index + 1) * n));
  return out;
}

function makeBatchMatMul(stock: KernelFunc): KernelConfig {
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const wasm = backend as BackendWasm;
      const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      const temporaries: TensorInfo[] = [];
      const plainA = transposeA ? transposeLastTwo(wasm, a) : a;
      const plainB = transposeB ? transposeLastTwo(wasm, b) : b;
      if (transposeA) temporaries.push(plainA);
      if (transposeB) temporaries.push(plainB);
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
        result = stock({ inputs: { a: a3, b: b3 }, attrs: plain, backend }) as TensorInfo;
      } else {
        const outerShape = (batchA >= batchB ? plainA : plainB).shape.slice(0, -2);
        result = wasm.makeOutput([...outerShape, M, N], 'float32');
        const dst = wasm.typedArrayFromHeap(result);
        for (let i = 0; i < batch; i++) {
          const ai = sliceMatrix(wasm, plainA, batchA === 1 ? 0 : i, M, K);
          const bi = sliceMatrix(wasm, plainB, batchB === 1 ? 0 : i, K, N);
          const oi = stock({ inputs: { a: ai, b: bi }, attrs: plain, backend }) as TensorInfo;
          dst.set(wasm.typedArrayFromHeap(oi), i * M * N);
          for (const t of [ai, bi, oi]) wasm.disposeData(t.dataId);
        }
      }
      // the transposed copies are ours: freeing them matters, a batched step makes megabytes of them
      for (const t of temporaries) wasm.disposeData(t.dataId);
      return reshapeOutput(result, a, b, M, N);
    },
  };
}

/** The output shape the op expects: the broadcast batch dimensions, then M x N. */
function reshapeOutput(out: TensorInfo, a: TensorInfo, b: TensorInfo, M: number, N: number): TensorInfo {
  const outer = (a.shape.length >= b.shape.length ? a : b).shape.slice(0, -2).map((d, i, arr) => {
    const other = (a.shape.length >= b.shape.length ? b : a).shape.slice(0, -2);
    const j = i - (arr.length - other.length);
    return j >= 0 ? Math.max(d, other[j]) : d;
  });
  return { ...out, shape: [...outer, M, N] };
}

/** Register the missing and faster wasm kernels (idempotent). */
export function registerWasmKernels(): void {
  if (!getKernel('UnsortedSegmentSum', 'wasm')) registerKernel(unsortedSegmentSum);
  const current = getKernel('BatchMatMul', 'wasm');
  if (current && !(current.kernelFunc as { codegenEval?: boolean }).codegenEval) {
    const stock = current.kernelFunc;
    unregisterKernel('BatchMatMul', 'wasm');
    // the stock kernel binds its wasm function in setupFunc, run when the backend initialises
    const config = { ...makeBatchMatMul(stock), setupFunc: current.setupFunc };
    (config.kernelFunc as { codegenEval?: boolean }).codegenEval = true;
    (config as { stock?: KernelFunc }).stock = stock;
    registerKernel(config);
  }
}

let fast: KernelConfig | undefined;

/**
 * Switch between the fast BatchMatMul and the stock one (for parity tests and benchmarks of the stock
 * speed). The wasm backend must already be initialised.
 */
export function useStockBatchMatMul(stock: boolean): void {
  const current = getKernel('BatchMatMul', 'wasm') as (KernelConfig & { stock?: KernelFunc }) | undefined;
  if (!current) return;
  const isFast = Boolean((current.kernelFunc as { codegenEval?: boolean }).codegenEval);
  if (stock && isFast) {
    fast = current;
    unregisterKernel('BatchMatMul', 'wasm');
    registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: current.stock!, setupFunc: current.setupFunc });
  } else if (!stock && !isFast && fast) {
    unregisterKernel('BatchMatMul', 'wasm');
    registerKernel(fast);
  }
}
