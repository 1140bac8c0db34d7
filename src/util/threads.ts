import os from 'node:os';

/** Threads for compute (the wasm backend, onnxruntime sessions): CODEGEN_EVAL_THREADS, else every available core. */
export function computeThreads(): number {
  const fromEnv = Number(process.env.CODEGEN_EVAL_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : os.availableParallelism();
}
