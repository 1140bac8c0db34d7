/**
 * Parsing + alignment throughput on real code, one thread and all cores, against raw tree-sitter
 * (parse + full tree walk); and peak memory while streaming a large .jsonl.gz.
 *
 *   npm run bench -- syntax            (BENCH_MB=4 of code; BENCH_STREAM_MB=1024 of JSONL to stream)
 */
import { availableParallelism } from 'node:os';
import { startTsWorker } from '../src/util/workers.ts';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Snippet } from '../src/corpus/types.ts';
import { readCorpus, resolveCorpus, SkipLog } from '../src/corpus/index.ts';
import { snippetRecord } from '../src/corpus/export.ts';
import { bestOf, bytesOf, printTable, realCode } from './common.ts';
import { parseAlignCovariates, rawTreeSitter, subwordSpans } from './syntax-work.ts';
import { flattenTree, getParser, parseWith } from '../src/languages/parser.ts';
import { alignSpans, prepareAlignment } from '../src/syntax/align.ts';
import { taxonomyFor } from '../src/syntax/concepts.ts';
import { computeCovariates } from '../src/syntax/covariates.ts';
import type { Parser } from 'web-tree-sitter';

async function inWorkers(snippets: Snippet[], mode: 'raw' | 'ours', n: number): Promise<number> {
  const shares: Snippet[][] = Array.from({ length: n }, () => []);
  snippets.forEach((s, i) => shares[i % n].push(s));
  const workers = shares.map((share) => startTsWorker(new URL('./syntax-worker.ts', import.meta.url), { snippets: share, mode }));
  await Promise.all(workers.map((w) => once(w, 'message')));
  const t0 = process.hrtime.bigint();
  const done = workers.map((w) => once(w, 'message'));
  workers.forEach((w) => w.postMessage('go'));
  await Promise.all(done);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all(workers.map((w) => w.terminate()));
  return seconds;
}

export async function benchSyntax(): Promise<void> {
  const mb = Number(process.env.BENCH_MB ?? 4);
  const snippets = await realCode(mb * 1e6);
  const bytes = bytesOf(snippets);
  const spans = snippets.map((s) => subwordSpans(s.code));
  const tokens = spans.reduce((n, s) => n + s.length / 2, 0);
  await rawTreeSitter(snippets.slice(0, 50));
  await parseAlignCovariates(snippets.slice(0, 50), spans.slice(0, 50));
  const rawOne = await bestOf(3, () => rawTreeSitter(snippets).then(() => undefined));
  const oursOne = await bestOf(3, () => parseAlignCovariates(snippets, spans).then(() => undefined));
  const cores = availableParallelism();
  const rawAll = await inWorkers(snippets, 'raw', cores);
  const oursAll = await inWorkers(snippets, 'ours', cores);
  const mbps = (s: number) => (bytes / 1e6 / s).toFixed(2);
  console.log(`real code: ${snippets.length} snippets (default corpus, python + javascript), ${(bytes / 1e6).toFixed(2)} MB, ${tokens} subword tokens; ${cores} cores`);
  printTable('parsing throughput (MB/s of source; higher is better)', ['run', 'anchor: raw tree-sitter', 'codegen-eval parse+align+covariates', 'ratio (ours/anchor)'], [
    ['1 thread', mbps(rawOne), mbps(oursOne), (rawOne / oursOne).toFixed(2)],
    [`${cores} threads`, mbps(rawAll), mbps(oursAll), (rawAll / oursAll).toFixed(2)],
    ['scaling (all/1)', (rawOne / rawAll).toFixed(2), (oursOne / oursAll).toFixed(2), ''],
  ]);
  await stageBreakdown(snippets, spans, bytes, tokens);
  await benchStreamingMemory(snippets);
}

/** Where one thread's time goes: parsing, reading the tree out of wasm, aligning, covariates. */
async function stageBreakdown(snippets: Snippet[], spans: Int32Array[], bytes: number, tokens: number): Promise<void> {
  const parsers = new Map<string, Parser>();
  for (const s of snippets) if (!parsers.has(s.language)) parsers.set(s.language, await getParser(s.language));
  const parseOnly = await bestOf(3, () => { for (const s of snippets) parsers.get(s.language)!.parse(s.code)!.delete(); });
  const flatten = await bestOf(3, () => {
    for (const s of snippets) {
      const t = parsers.get(s.language)!.parse(s.code)!;
      flattenTree(t, s.language, s.code);
      t.delete();
    }
  });
  const trees = snippets.map((s) => parseWith(parsers.get(s.language)!, s.language, s.code));
  const taxonomies = await Promise.all(snippets.map((s) => taxonomyFor(s.language)));
  const prepared = trees.map((t, i) => prepareAlignment(t, taxonomies[i]));
  const align = await bestOf(3, () => { trees.forEach((t, i) => alignSpans(prepareAlignment(t, taxonomies[i]), spans[i])); });
  const alignOnly = await bestOf(3, () => { prepared.forEach((a, i) => alignSpans(a, spans[i])); });
  const covariates = await bestOf(3, () => { for (const t of trees) computeCovariates(t); });
  const row = (name: string, seconds: number, note: string) => [name, (seconds * 1000).toFixed(0), (bytes / 1e6 / seconds).toFixed(1), `${((seconds / parseOnly) * 100).toFixed(0)}%`, note];
  printTable('one thread, by stage (share relative to tree-sitter parsing alone)', ['stage', 'ms', 'MB/s', 'of parse', 'note'], [
    row('tree-sitter parse', parseOnly, 'web-tree-sitter, no walk'),
    row('parse + flatten', flatten, '4 wasm getters per node: start, end, type, field'),
    row('align (prepare + spans)', align, `${(tokens / align / 1e6).toFixed(1)} M tokens/s`),
    row('align (spans only)', alignOnly, `${(tokens / alignOnly / 1e6).toFixed(1)} M tokens/s, tree prepared once`),
    row('covariates', covariates, '15 covariates'),
  ]);
}

/** Write a large .jsonl.gz of repeated real records, then stream it and track peak RSS. */
async function benchStreamingMemory(snippets: Snippet[]): Promise<void> {
  const targetMb = Number(process.env.BENCH_STREAM_MB ?? 1024);
  const dir = mkdtempSync(join(tmpdir(), 'cge-bench-'));
  const file = join(dir, 'big.jsonl.gz');
  try {
    const gzip = createGzip({ level: 1 });
    const out = createWriteStream(file);
    gzip.pipe(out);
    let written = 0;
    const lines = snippets.map((s) => `${JSON.stringify(snippetRecord(s))}\n`);
    for (let i = 0; written < targetMb * 1e6; i++) {
      const line = lines[i % lines.length];
      written += Buffer.byteLength(line);
      if (!gzip.write(line)) await once(gzip, 'drain');
    }
    gzip.end();
    await finished(out);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    let count = 0;
    const t0 = process.hrtime.bigint();
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    for await (const s of readCorpus(await resolveCorpus(file), new SkipLog())) {
      count++;
      if (s.code.length < 0) break;
    }
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    printTable('streaming a large .jsonl.gz (corpus stage: gunzip + UTF-8 + JSON per record)', ['input', 'records', 'time', 'RSS before', 'peak RSS', 'growth'], [[
      `${(written / 1e6).toFixed(0)} MB JSONL (${(statSync(file).size / 1e6).toFixed(0)} MB gz)`, count, `${seconds.toFixed(1)} s (${(written / 1e6 / seconds).toFixed(0)} MB/s)`,
      `${(rssBefore / 1e6).toFixed(0)} MB`, `${(peak / 1e6).toFixed(0)} MB`, `${((peak - rssBefore) / 1e6).toFixed(0)} MB`,
    ]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
