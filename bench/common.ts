import { readCorpus, resolveCorpus, SkipLog, type Snippet } from '../src/corpus/index.ts';
import { packagePath } from '../src/util/paths.ts';

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
