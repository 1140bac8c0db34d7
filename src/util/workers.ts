import { Worker } from 'node:worker_threads';

/** Start a worker thread running a TypeScript module (by URL), with `data` as workerData.data. */
export function startTsWorker(module: URL, data: unknown): Worker {
  return new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { module: module.href, data } });
}
