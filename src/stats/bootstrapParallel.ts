/**
 * The bootstrap of an effect estimate spread over worker threads. Replicate r is seeded by (seed, r)
 * alone, so the replicates, and the result, are the same however many threads run them. Threads are
 * used when the work is large enough to repay starting them (about 0.2 s each): replicates x units
 * above `minWork` (default 2,000,000).
 */
import { availableParallelism } from 'node:os';
import { once } from 'node:events';
import { startTsWorker } from '../util/workers.ts';
import { summariseBootstrap } from './bootstrap.ts';
import { bootstrapClusters, effectStatistic, estimateEffect, withBootstrap, type CausalQuestion, type EffectEstimate, type EstimateOptions } from './effect.ts';
import { isNumeric } from './table.ts';

export interface ParallelOptions {
  threads?: number;
  minWork?: number;
}

export interface BootstrapJob {
  names: string[];
  columns: (Float64Array | (string | null)[])[];
  source?: string;
  question: { treatment: string; outcome: string; confounders: string[] };
  options: EstimateOptions;
  from: number;
  to: number;
}

export async function estimateEffectParallel(q: CausalQuestion, options: EstimateOptions, parallel: ParallelOptions = {}): Promise<EffectEstimate> {
  const replicates = options.bootstrap ?? 0;
  const threads = Math.min(parallel.threads ?? availableParallelism(), replicates);
  if (!replicates || threads < 2 || replicates * q.n < (parallel.minWork ?? 2_000_000)) return estimateEffect(q, options);
  const result = estimateEffect(q, { ...options, bootstrap: undefined });
  const names = q.table.names;
  const columns = names.map((name) => {
    const c = q.table.columns.get(name)!;
    return isNumeric(c) ? Float64Array.from(c) : [...c];
  });
  const per = Math.ceil(replicates / threads);
  const jobs: Promise<Float64Array>[] = [];
  for (let t = 0; t < threads; t++) {
    const from = t * per;
    const to = Math.min(replicates, from + per);
    if (from >= to) break;
    const job: BootstrapJob = { names, columns, source: q.table.source, question: { treatment: q.treatment, outcome: q.outcome, confounders: q.confounders }, options: { ...options, bootstrap: undefined }, from, to };
    const worker = startTsWorker(new URL('./bootstrapWorker.ts', import.meta.url), job);
    jobs.push((async () => {
      const [message] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([e]) => { throw e; })])) as [Float64Array | { error: string }];
      await worker.terminate();
      if (!(message instanceof Float64Array)) throw new Error(`bootstrap worker failed: ${message.error}`);
      return message;
    })());
  }
  const parts = await Promise.all(jobs);
  const values = new Float64Array(replicates);
  let off = 0;
  for (const part of parts) { values.set(part, off); off += part.length; }
  const boot = summariseBootstrap(q.n, effectStatistic(q, options), result.estimate, values, { replicates, seed: options.seed ?? 0, level: result.level, interval: options.bootstrapInterval, cluster: bootstrapClusters(q, options) });
  return withBootstrap(result, boot);
}
