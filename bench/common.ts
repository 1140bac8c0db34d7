import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readCorpus, resolveCorpus, SkipLog, type Snippet } from '../src/corpus/index.ts';
import { packagePath } from '../src/util/paths.ts';
import { anchorEnv } from './anchors.ts';

/** The default corpus (real Python and JavaScript), repeated to reach about `targetBytes` of code. */
export async function realCode(targetBytes: number): Promise<Snippet[]> {
  const base: Snippet[] = [];
  for await (const s of readCorpus(await resolveCorpus(packagePath('testbeds', 'corpus', 'default.jsonl.gz')), new SkipLog())) base.push(s);
  const out: Snippet[] = [];
  let bytes = 0;
  for (let round = 0; bytes < targetBytes; round++) {
    for (const s of base) {
      out.push({ ...s, id: `${s.id}#${round}` });
      bytes += Buffer.byteLength(s.code);
    }
  }
  return out;
}

export function bytesOf(snippets: Snippet[]): number {
  return snippets.reduce((n, s) => n + Buffer.byteLength(s.code), 0);
}

/** Best of `repeats` wall times of fn, in seconds. */
export async function bestOf(repeats: number, fn: () => Promise<void> | void): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

export function printTable(title: string, headers: string[], rows: (string | number)[][]): void {
  console.log(`\n${title}`);
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  for (const [k, r] of cells.entries()) {
    console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/** Architecture of a PyTorch anchor run (bench/torch_anchor.py). */
export interface TorchShape { kind: 'gpt' | 'gru'; vocab: number; batch: number; context: number; width?: number; layers: number; heads?: number; embedding?: number; units?: number }

/** Tokens/s of PyTorch CPU (1 thread) training or scoring `shape`, or undefined (with the reason printed) when it fails. */
export function torchAnchor(mode: 'train' | 'score' | 'score-stats', shape: TorchShape, seconds: number): number | undefined {
  const args = [shape.kind, shape.vocab, shape.batch, shape.context, shape.width ?? 0, shape.layers, shape.heads ?? 1, shape.embedding ?? 0, shape.units ?? 0, seconds].map(String);
  const r = spawnSync('/usr/bin/python3', [packagePath('bench', 'torch_anchor.py'), mode, ...args], { encoding: 'utf8', env: anchorEnv() });
  if (r.status !== 0) {
    console.log(`PyTorch failed: ${(r.stderr ?? String(r.error)).slice(-300)}`);
    return undefined;
  }
  return Number(r.stdout.trim());
}

/**
 * The 1,000-snippet testbed the report and gate benchmarks use (500 rename-identifiers pairs from the
 * default corpus) in `dir`, scored by the demo model into `dir/scores.duckdb` (untimed set-up).
 */
// its modules are imported lazily: the syntax and stats benchmarks import this file and need no TensorFlow.js
export async function scoredThousandSnippets(dir: string): Promise<{ testbed: string; db: string; rows: number; tokens: number; scoreSeconds: number }> {
  const { buildTestbed } = await import('../src/testbeds/build.ts');
  const { openModel } = await import('../src/models/index.ts');
  const { scoreTestbed } = await import('../src/score/score.ts');
  const testbed = join(dir, 'tb');
  const { manifest } = await buildTestbed({ corpus: packagePath('testbeds', 'corpus', 'default.jsonl.gz'), out: testbed, intervention: 'rename-identifiers', limit: 500, seed: 1 });
  const db = join(dir, 'scores.duckdb');
  const model = await openModel('demo');
  const t0 = performance.now();
  try {
    const summary = await scoreTestbed({ model, testbed, db, quiet: true });
    return { testbed, db, rows: manifest.counts.rows, tokens: summary.tokens, scoreSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await model.dispose();
  }
}
