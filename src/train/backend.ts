/**
 * TensorFlow.js backends: `auto` takes @tensorflow/tfjs-node-gpu when it is installed and sees a GPU,
 * then @tensorflow/tfjs-node, then the `wasm` backend (shipped inside its npm package, so it works
 * offline), then the pure-JS `cpu`. The native ones are optional dependencies: they download
 * libtensorflow at install and cannot install where there is no network.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's node build registers no gradients; the union package's node build registers them all
// against the same tfjs-core instance (its ESM register_all_gradients cannot load under Node's ESM).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { UserError } from '../util/errors.ts';
import { registerWasmKernels } from './kernels.ts';

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

async function useWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  registerWasmKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
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
      await useWasm();
      return 'wasm';
    } catch (error) {
      if (requested === 'wasm') throw new UserError(`the wasm backend failed to start: ${(error as Error).message}`);
    }
  }
  await tf.setBackend('cpu');
  return 'cpu';
}

export { tf };
