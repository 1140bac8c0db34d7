/**
 * Scale as a promise (issue 14): each step run as a user runs it (the CLI, a child process), at
 * growing sizes, with its wall time and peak resident memory (the process's maxRSS: JavaScript heap,
 * DuckDB and onnxruntime together). The anchor of each step is the same step at the smallest size:
 * time per row should stay within 1.5x of it (linear time), and the 1M-row effect and the
 * 100k-snippet report should stay under 4 GB.
 *
 * Steps: `testbed build` on 10k and 100k snippets (the shipped corpus's functions, each copy renamed so
 * that every function is distinct); `score` with the demo model on 1k and 10k rows; `score` of a
 * `logprobs:` file (scores computed elsewhere, the import path) and `report` on 10k and 100k snippets;
 * `effect` (regression, ipw, matching) on 10k, 100k and 1M rows. A step's fixed cost (start-up, model
 * load) is measured on a tiny input and taken off before time per row is compared.
 *
 * `npm run bench -- scale` (about 25 minutes on 2 cores); `--quick` stops at a tenth of the sizes.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { once } from 'node:events';
import { readCorpus, resolveCorpus, SkipLog, type Snippet } from '../src/corpus/index.ts';
import { openTestbed, readTestbedRows } from '../src/testbeds/read.ts';
import { packagePath } from '../src/util/paths.ts';
import { createRandom } from '../src/util/random.ts';
import { printTable } from './common.ts';

const BIN = packagePath('bin', 'codegen-eval.mjs');
const RSS = packagePath('bench', 'rss.mjs');
const LINEAR_GOAL = 1.5;
const MEMORY_GOAL_GB = 4;

interface Measured { seconds: number; peakMB: number }

/** Run the CLI in `cwd`; wall time and peak RSS (written by bench/rss.mjs at exit). */
function cli(args: string[], cwd: string): Measured {
  const rssFile = join(cwd, `.rss-${process.pid}`);
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', RSS, BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, BENCH_RSS_FILE: rssFile }, maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`codegen-eval ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  const peakMB = Number(readFileSync(rssFile, 'utf8')) / 1024;
  rmSync(rssFile);
  return { seconds, peakMB };
}

/** The shipped corpus's functions, copied until there are `n`, each copy's function renamed (distinct code, distinct id). */
export async function writeCorpus(n: number, file: string): Promise<void> {
  const base: Snippet[] = [];
  for await (const s of readCorpus(await resolveCorpus(packagePath('testbeds', 'corpus', 'default.jsonl.gz')), new SkipLog())) base.push(s);
  const gzip = createGzip();
  const out = createWriteStream(file);
  gzip.pipe(out);
  for (let i = 0; i < n; i++) {
    const s = base[i % base.length];
    const copy = Math.floor(i / base.length);
    const code = copy === 0 ? s.code : s.code.replace(/\b(def|function|func)(\s+)([A-Za-z_]\w*)/, (_m, kw: string, sp: string, name: string) => `${kw}${sp}${name}_v${copy}`);
    if (!gzip.write(`${JSON.stringify({ id: `${s.id}#${copy}`, language: s.language, code })}\n`)) await once(gzip, 'drain');
  }
  gzip.end();
  await once(out, 'finish');
}

/** A logprobs: file for a testbed, as another framework would write one: whitespace tokens, seeded log-probs. */
export async function writeLogprobs(testbedDir: string, file: string): Promise<void> {
  const random = createRandom(11);
  const out = createWriteStream(file);
  for await (const row of readTestbedRows(openTestbed(testbedDir))) {
    const tokens: string[] = [];
    const offsets: [number, number][] = [];
    const logprobs: (number | null)[] = [];
    for (const m of row.code.matchAll(/\S+/g)) {
      tokens.push(m[0]);
      offsets.push([m.index, m.index + m[0].length]);
      logprobs.push(tokens.length === 1 ? null : -0.05 - 4 * random.next());
    }
    if (!out.write(`${JSON.stringify({ id: row.id, tokens, offsets, logprobs, offset_unit: 'utf16' })}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function writeEffectCsv(n: number, file: string): void {
  const random = createRandom(5);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const lines = ['t,y,x1,x2,x3,cat'];
  for (let i = 0; i < n; i++) {
    const x1 = normal();
    const x2 = normal();
    const x3 = random.next();
    const t = random.next() < 1 / (1 + Math.exp(-(0.5 * x1 - 0.3 * x2))) ? 1 : 0;
    const y = t + x1 + 0.5 * x2 + 0.2 * x3 + normal();
    lines.push(`${t},${y.toFixed(5)},${x1.toFixed(5)},${x2.toFixed(5)},${x3.toFixed(5)},${'abc'[i % 3]}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

interface Row { step: string; size: number; m: Measured; fixed: number }

/** Below this much time beyond the fixed cost, time per row is start-up noise, not a measurement. */
const MEASURABLE_SECONDS = 1.5;

function report(rows: Row[]): void {
  const table: (string | number)[][] = [];
  const variable = (x: Row) => x.m.seconds - x.fixed;
  const perRow = (x: Row) => Math.max(1e-9, variable(x)) / x.size;
  for (const r of rows) {
    // the anchor: the step's smallest size whose time beyond the fixed cost can be measured
    const anchor = rows.find((x) => x.step === r.step && variable(x) >= MEASURABLE_SECONDS);
    const ratio = anchor ? perRow(r) / perRow(anchor) : NaN;
    const vs = variable(r) < MEASURABLE_SECONDS ? `- (${variable(r).toFixed(1)} s beyond the fixed ${r.fixed.toFixed(1)} s)` : r === anchor ? 'anchor' : `${ratio.toFixed(2)}x${ratio > LINEAR_GOAL ? ' (goal <= 1.5x: MISSED)' : ''}`;
    table.push([r.step, r.size.toLocaleString('en'), r.m.seconds.toFixed(1), variable(r) < MEASURABLE_SECONDS ? '-' : (1e6 * perRow(r)).toFixed(1), vs, `${(r.m.peakMB / 1024).toFixed(2)}`]);
  }
  printTable(`scale: wall time; time per row beyond the fixed cost (start-up, model load: the step on a tiny input), against the step's smallest measurable size (goal <= ${LINEAR_GOAL}x); peak RSS (goal < ${MEMORY_GOAL_GB} GB for the 1M-row effect and the 100k-snippet report)`, ['step', 'rows', 'wall s', 'us/row', 'per-row vs smallest', 'peak GB'], table);
  for (const r of rows) {
    if ((r.step.startsWith('effect') && r.size >= 1_000_000) || (r.step === 'report' && r.size >= 100_000)) {
      console.log(`${r.step} at ${r.size.toLocaleString('en')}: peak ${(r.m.peakMB / 1024).toFixed(2)} GB ${r.m.peakMB / 1024 < MEMORY_GOAL_GB ? `(under the ${MEMORY_GOAL_GB} GB goal)` : `(OVER the ${MEMORY_GOAL_GB} GB goal)`}`);
    }
  }
}

/** The fixed cost of a step: the fastest of three runs on a tiny input. */
function fixedCost(run: () => Measured): number {
  return Math.min(run().seconds, run().seconds, run().seconds);
}

export async function benchScale(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const k = quick ? 10 : 1;
  const work = packagePath('bench', '.scale');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const rows: Row[] = [];
  const log = (r: Row) => {
    rows.push(r);
    console.log(`${r.step} ${r.size.toLocaleString('en')}: ${r.m.seconds.toFixed(1)} s, peak ${(r.m.peakMB / 1024).toFixed(2)} GB`);
  };

  // effect on 10k, 100k, 1M rows
  const tiny = join(work, 'effect-100.csv');
  writeEffectCsv(100, tiny);
  for (const method of ['regression', 'ipw', 'matching']) {
    const effect = (file: string) => cli(['effect', '--data', file, '--treatment', 't', '--outcome', 'y', '--confounders', 'x1,x2,x3,cat', '--method', method, '--json'], work);
    const fixed = fixedCost(() => effect(tiny));
    for (const n of [10_000, 100_000, 1_000_000].map((x) => x / k)) {
      const file = join(work, `effect-${n}.csv`);
      if (!existsSync(file)) writeEffectCsv(n, file);
      log({ step: `effect ${method}`, size: n, m: effect(file), fixed });
    }
  }

  // testbed build, scoring and the report on 10k and 100k snippets
  const tinyCorpus = join(work, 'corpus-50.jsonl.gz');
  await writeCorpus(50, tinyCorpus);
  const build = (corpus: string, out: string) => cli(['testbed', 'build', '--corpus', corpus, '--intervention', 'rename-identifiers', '--out', out, '--quiet'], work);
  const buildFixed = build(tinyCorpus, join(work, 'tb-50')).seconds;
  const demoFixed = cli(['score', '--model', 'demo', '--testbed', join(work, 'tb-50'), '--out', join(work, 'demo-50.duckdb'), '--quiet'], work).seconds;
  await writeLogprobs(join(work, 'tb-50'), join(work, 'lp-50.jsonl'));
  const importFixed = cli(['score', '--model', `logprobs:${join(work, 'lp-50.jsonl')}`, '--testbed', join(work, 'tb-50'), '--out', join(work, 'lp-50.duckdb'), '--quiet'], work).seconds;
  const reportFixed = cli(['report', '--model', `logprobs:${join(work, 'lp-50.jsonl')}`, '--testbed', join(work, 'tb-50'), '--db', join(work, 'lp-50.duckdb'), '--out', join(work, 'report-50'), '--no-pdf', '--bootstrap', '200', '--quiet'], work).seconds;
  for (const n of [10_000, 100_000].map((x) => x / k)) {
    const corpus = join(work, `corpus-${n}.jsonl.gz`);
    await writeCorpus(n, corpus);
    const tb = join(work, `tb-${n}`);
    log({ step: 'testbed build', size: n, m: build(corpus, tb), fixed: buildFixed });
    const testbedRows = openTestbed(tb).manifest.counts.rows;
    // the demo model on a tenth of the rows (its time per token is what grows; 10k rows take 15 minutes)
    const demoRows = testbedRows / 10;
    const limited = join(work, `tb-${n}-tenth`);
    cli(['testbed', 'build', '--corpus', corpus, '--intervention', 'rename-identifiers', '--limit', String(Math.max(1, Math.round(demoRows / 2))), '--out', limited, '--quiet'], work);
    log({ step: 'score (demo model)', size: openTestbed(limited).manifest.counts.rows, m: cli(['score', '--model', 'demo', '--testbed', limited, '--out', join(work, `demo-${n}.duckdb`), '--quiet'], work), fixed: demoFixed });
    const lp = join(work, `lp-${n}.jsonl`);
    await writeLogprobs(tb, lp);
    const db = join(work, `lp-${n}.duckdb`);
    log({ step: 'score (logprobs: file)', size: testbedRows, m: cli(['score', '--model', `logprobs:${lp}`, '--testbed', tb, '--out', db, '--quiet'], work), fixed: importFixed });
    log({ step: 'report', size: testbedRows, m: cli(['report', '--model', `logprobs:${lp}`, '--testbed', tb, '--db', db, '--out', join(work, `report-${n}`), '--no-pdf', '--bootstrap', '200', '--quiet'], work), fixed: reportFixed });
  }
  report(rows);
  rmSync(work, { recursive: true, force: true });
}
