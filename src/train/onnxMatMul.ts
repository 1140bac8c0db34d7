/**
 * Matrix products of the TensorFlow.js wasm backend computed by onnxruntime-node (MLAS, native SIMD on
 * every core), on the wasm heap itself: the operands and the preallocated output are views of the
 * heap, so onnxruntime reads and writes them in place (its binding still copies the output into the
 * value it returns, which is dropped: about 0.5 ms per MB). wasm's 128-bit SIMD caps XNNPACK near 35 GFLOP/s a core, where MLAS
 * reaches the machine's fp32 peak; training's products go 2-4x faster this way (bench/train).
 *
 * onnxruntime-node's native binding runs a session synchronously (its public `run` only wraps that in
 * a promise), which a TensorFlow.js kernel needs. The binding takes no SharedArrayBuffer, so the wasm
 * backend runs unthreaded when this engine is on (backend.ts); onnxruntime brings the threads. Its
 * worker threads must not spin between products: they would take the cores from the wasm kernels.
 * One session per (transposes, ranks), with symbolic dimensions, built on first use: a single
 * com.microsoft FusedMatMul node, which transposes the last two axes and broadcasts batch axes as
 * TensorFlow.js's BatchMatMul does. Pinned to onnxruntime-node 1.30.0 (dist/binding).
 */
import { createRequire } from 'node:module';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { DataType, encodeModel } from '../util/onnx.ts';

const require = createRequire(import.meta.url);

interface OrtTensor { data: unknown }
type OrtTensorConstructor = new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
interface SyncSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor>, options: object): unknown;
}
interface NativeBinding { binding: { InferenceSession: new () => SyncSession }; initOrt(): void }

export interface OnnxMatMul {
  /** What computes the products, for run logs: e.g. 'onnxruntime-node 1.30.0, 2 threads'. */
  readonly description: string;
  /** a [..., M, K] (or [..., K, M] transposed) times b: a new tensor of `outShape` on the wasm heap. */
  matMul(wasm: BackendWasm, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, outShape: number[]): TensorInfo;
}

/** The engine on `threads` threads, or why it is unavailable where onnxruntime-node does not load. */
export function loadOnnxMatMul(threads: number): OnnxMatMul | { unavailable: string } {
  let native: NativeBinding;
  let Tensor: OrtTensorConstructor;
  let version: string;
  try {
    native = require('onnxruntime-node/dist/binding') as NativeBinding;
    native.initOrt();
    // the Tensor class of onnxruntime-node's own onnxruntime-common
    Tensor = (createRequire(require.resolve('onnxruntime-node'))('onnxruntime-common') as { Tensor: OrtTensorConstructor }).Tensor;
    version = (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch (error) {
    return { unavailable: (error as Error).message.split('\n')[0] };
  }
  const sessions = new Map<string, SyncSession>();
  const sessionFor = (transA: boolean, transB: boolean, rankA: number, rankB: number): SyncSession => {
    const key = `${+transA}${+transB}:${rankA}:${rankB}`;
    const cached = sessions.get(key);
    if (cached) return cached;
    const dims = (prefix: string, rank: number) => Array.from({ length: rank }, (_, i) => `${prefix}${i}`);
    const bytes = encodeModel({
      name: 'matmul',
      nodes: [{ op: 'FusedMatMul', domain: 'com.microsoft', inputs: ['a', 'b'], outputs: ['y'], attributes: [{ name: 'transA', int: +transA }, { name: 'transB', int: +transB }] }],
      initializers: [],
      inputs: [{ name: 'a', elemType: DataType.FLOAT, shape: dims('a', rankA) }, { name: 'b', elemType: DataType.FLOAT, shape: dims('b', rankB) }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: dims('y', Math.max(rankA, rankB)) }],
    });
    const session = new native.binding.InferenceSession();
    session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
      intraOpNumThreads: threads,
      executionMode: 'sequential',
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    sessions.set(key, session);
    return session;
  };
  return {
    description: `onnxruntime-node ${version}, ${threads} thread${threads === 1 ? '' : 's'}`,
    matMul(wasm, a, b, transposeA, transposeB, outShape) {
      const session = sessionFor(transposeA, transposeB, a.shape.length, b.shape.length);
      const out = wasm.makeOutput(outShape, 'float32');
      // views after the allocation: growing the heap replaces its buffer
      const view = (t: TensorInfo) => {
        const values = wasm.typedArrayFromHeap(t) as Float32Array;
        if (values.buffer instanceof SharedArrayBuffer) throw new Error('onnxruntime matrix products need the unthreaded wasm backend (its heap is shared when threaded)');
        return new Tensor('float32', values, t.shape);
      };
      session.run({ a: view(a), b: view(b) }, { y: view(out) }, {});
      return out;
    },
  };
}
