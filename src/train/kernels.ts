/**
 * Kernels the TensorFlow.js wasm backend lacks, registered through TensorFlow.js's own kernel registry
 * (no edits under node_modules). Pinned to @tensorflow/tfjs-backend-wasm 4.22.0, whose BackendWasm
 * exposes `makeOutput` and `typedArrayFromHeap`; a parity test compares each with the cpu backend.
 *
 * - UnsortedSegmentSum: the gradient of an embedding lookup (GatherV2) scatters rows back with it;
 *   without it no model with an embedding trains on wasm. out[segment[i]] += x[i], row by row.
 */
import { getKernel, registerKernel, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
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

/** Register the missing wasm kernels (idempotent). */
export function registerWasmKernels(): void {
  if (!getKernel('UnsortedSegmentSum', 'wasm')) registerKernel(unsortedSegmentSum);
}
