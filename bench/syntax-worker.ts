import { parentPort, workerData } from 'node:worker_threads';
import type { Snippet } from '../src/corpus/types.ts';
import { parseAlignCovariates, rawTreeSitter, subwordSpans } from './syntax-work.ts';

const { snippets, mode } = (workerData as { data: { snippets: Snippet[]; mode: 'raw' | 'ours' } }).data;
const spans = snippets.map((s) => subwordSpans(s.code));
// warm up grammars and taxonomies before the clock starts
await (mode === 'raw' ? rawTreeSitter(snippets.slice(0, 20)) : parseAlignCovariates(snippets.slice(0, 20), spans.slice(0, 20)));
parentPort!.postMessage('ready');
parentPort!.once('message', async () => {
  const t0 = process.hrtime.bigint();
  if (mode === 'raw') await rawTreeSitter(snippets);
  else await parseAlignCovariates(snippets, spans);
  parentPort!.postMessage(Number(process.hrtime.bigint() - t0) / 1e9);
});
