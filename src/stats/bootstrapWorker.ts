import { parentPort, workerData } from 'node:worker_threads';
import { runReplicates } from './bootstrap.ts';
import { bootstrapClusters, causalQuestion, effectStatistic } from './effect.ts';
import type { BootstrapJob } from './bootstrapParallel.ts';
import type { Column, DataTable } from './table.ts';

const job = (workerData as { data: BootstrapJob }).data;
try {
  const columns = new Map<string, Column>(job.names.map((name, j) => [name, job.columns[j]]));
  const table: DataTable = { n: job.columns[0]?.length ?? 0, names: job.names, columns, source: job.source };
  const q = causalQuestion(table, job.question);
  const values = runReplicates(q.n, effectStatistic(q, job.options), job.options.seed ?? 0, job.from, job.to, bootstrapClusters(q, job.options));
  parentPort!.postMessage(values, [values.buffer as ArrayBuffer]);
} catch (error) {
  parentPort!.postMessage({ error: (error as Error).message });
}
