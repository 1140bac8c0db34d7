/**
 * TensorFlow.js backends: `auto` takes @tensorflow/tfjs-node-gpu when it is installed and sees a GPU,
 * then @tensorflow/tfjs-node, then the `wasm` backend (shipped inside its npm package, so it works
 * offline), then the pure-JS `cpu`. The native ones are optional dependencies: they download
 * libtensorflow at install and cannot install where there is no network.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { computeThreads } from '../util/threads.ts';
// tfjs-core's node build registers no gradients; the union package's node build registers them all
// against the same tfjs-core instance (its ESM register_all_gradients cannot load under Node's ESM).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { UserError } from '../util/errors.ts';
import { registerWasmKernels, setMatMulEngine } from './kernels.ts';
import { loadOnnxMatMul } from './onnxMatMul.ts';

// production mode: no debug checks, and no console banner from the cpu backend urging tfjs-node (the
// cpu backend also holds weights while a model's ONNX graph is built for scoring)
tf.env().set('PROD', true);

export type BackendName = 'auto' | 'gpu' | 'node' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['auto', 'gpu', 'node', 'wasm', 'cpu'];

const require = createRequire(import.meta.url);

async function tryNative(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

/** Threads for the wasm backend: CODEGEN_EVAL_THREADS, else every available core. */
export const wasmThreads = computeThreads;

type MatMulEngineName = 'onnxruntime' | 'xnnpack';

/** CODEGEN_EVAL_MATMUL: where the wasm backend's matrix products run (onnxruntime where it loads). */
function requestedMatMulEngine(): MatMulEngineName | 'auto' {
  const value = process.env.CODEGEN_EVAL_MATMUL?.trim();
  if (!value || value === 'auto') return 'auto';
  if (value === 'onnxruntime' || value === 'xnnpack') return value;
  throw new UserError(`CODEGEN_EVAL_MATMUL=${value} is not a matrix-product engine`, { hint: 'set it to onnxruntime, xnnpack or auto (or unset it)' });
}

interface EmscriptenThreads { PThread?: { unusedWorkers: { unref(): void }[]; runningWorkers: { unref(): void }[] } }

/** How the wasm backend computes, for run logs and checkpoints; set when it starts. */
let wasmDetails = '';

/**
 * Start the wasm backend. Matrix products run on onnxruntime-node where it loads (onnxMatMul.ts):
 * then the wasm side stays unthreaded, since onnxruntime reads the heap only when it is not shared,
 * and onnxruntime gets the threads. Otherwise XNNPACK computes them on a threaded wasm backend.
 */
async function useWasm(threads: number): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  registerWasmKernels();
  const requested = requestedMatMulEngine();
  const engine = requested === 'xnnpack' ? undefined : loadOnnxMatMul(threads);
  if (engine && 'unavailable' in engine && requested === 'onnxruntime') {
    throw new UserError(`CODEGEN_EVAL_MATMUL=onnxruntime, but onnxruntime-node did not load: ${engine.unavailable}`, { hint: 'npm install onnxruntime-node, or unset CODEGEN_EVAL_MATMUL to let XNNPACK compute the products' });
  }
  if (engine && !('unavailable' in engine)) {
    setMatMulEngine(engine);
    await startWasm(wasm, 1);
    wasmDetails = `matrix products on ${engine.description}`;
    return;
  }
  setMatMulEngine(undefined);
  await startWasm(wasm, threads);
  wasmDetails = `XNNPACK, ${threads} thread${threads === 1 ? '' : 's'}`;
}

/**
 * Initialise the wasm backend, threaded when more than one thread is asked for. TensorFlow.js disables
 * threads under Node (its pthread workers are `blob:` URLs, which worker_threads cannot load) and its
 * C side caps the pool at half of the logical cores emscripten reports. While the backend initialises,
 * the worker URL is pointed at wasm-thread-worker.cjs and the core count is reported twice over, so
 * that the pool gets the threads asked for; both are restored right after. Pinned to
 * @tensorflow/tfjs-backend-wasm 4.22.0; the parity test runs the threaded kernels against cpu.
 */
async function startWasm(wasm: typeof import('@tensorflow/tfjs-backend-wasm'), threads: number): Promise<void> {
  if (threads <= 1) {
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
    return;
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const workerScript = fileURLToPath(new URL('./wasm-thread-worker.cjs', import.meta.url));
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = () => workerScript;
  os.cpus = () => [...cpus(), ...cpus()];
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
  // idle pthreads must not keep the process alive once the work is done
  const pthreads = (tf.backend() as unknown as { wasm: EmscriptenThreads }).wasm.PThread;
  for (const worker of [...(pthreads?.unusedWorkers ?? []), ...(pthreads?.runningWorkers ?? [])]) worker.unref();
}

/** The backend in use with how it computes: e.g. 'wasm (matrix products on onnxruntime-node 1.30.0, 2 threads)'. */
export function describeBackend(name: string): string {
  return name === 'wasm' && tf.getBackend() === 'wasm' && wasmDetails ? `wasm (${wasmDetails})` : name;
}

/** Select a backend; returns the name of the one in use ('tensorflow' for the native ones). */
export async function selectBackend(requested: BackendName): Promise<string> {
  if (requested === 'gpu' || requested === 'auto') {
    if (await tryNative('@tensorflow/tfjs-node-gpu')) {
      await tf.setBackend('tensorflow');
      return 'gpu (tfjs-node-gpu)';
    }
    if (requested === 'gpu') throw new UserError('the gpu backend needs @tensorflow/tfjs-node-gpu', { hint: 'on a machine with CUDA and network access: npm install @tensorflow/tfjs-node-gpu (use --backend wasm here)' });
  }
  if (requested === 'node' || requested === 'auto') {
    if (await tryNative('@tensorflow/tfjs-node')) {
      await tf.setBackend('tensorflow');
      return 'node (tfjs-node)';
    }
    if (requested === 'node') throw new UserError('the node backend needs @tensorflow/tfjs-node', { hint: 'npm install @tensorflow/tfjs-node where the network allows its download (use --backend wasm here)' });
  }
  if (requested === 'wasm' || requested === 'auto') {
    try {
      await useWasm(wasmThreads());
      return 'wasm';
    } catch (error) {
      if (error instanceof UserError) throw error;
      if (requested === 'wasm') throw new UserError(`the wasm backend failed to start: ${(error as Error).message}`);
    }
  }
  await tf.setBackend('cpu');
  return 'cpu';
}

export { tf };
