// Entry of worker threads that run TypeScript modules: registers tsx, then imports the module named in
// workerData.module (a file URL). Node 20 workers do not inherit the parent's --import loaders.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
