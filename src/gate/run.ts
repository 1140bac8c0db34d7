/**
 * `gate`: score the baseline and the candidate on the testbeds (the scores database caches runs, so a
 * baseline scored once is not scored again), read each concept's per-snippet metric on the same
 * snippets, and decide (gate.ts).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { openModel, type OpenOptions } from '../models/index.ts';
import { snippetMetric } from '../report/compare.ts';
import { scoreTestbed, sha256Files } from '../score/score.ts';
import { DEFAULT_DB, ScoreStore } from '../score/store.ts';
import { readTestbedPlan } from '../testbeds/plan.ts';
import { openTestbed, originalSnippets, type TestbedHandle } from '../testbeds/read.ts';
import { UserError } from '../util/errors.ts';
import { decideGate, type ConceptSample, type GateDecision, type GateRules } from './gate.ts';

export interface GateOptions {
  baseline: string;
  candidate: string;
  /** Stored baseline scores: a folder written by `score --parquet DIR` (or a .parquet file in it). */
  baselineScores?: string;
  testbeds?: string[];
  db?: string;
  rules: GateRules;
  modelOptions?: OpenOptions;
  quiet?: boolean;
  log?: (message: string) => void;
}

export interface GateResult extends GateDecision {
  format: 'codegen-eval/gate@1';
  baseline: string;
  candidate: string;
  metric: GateRules['metric'];
  alpha: number;
  testbeds: string[];
  db: string;
  runIds: { baseline: string[]; candidate: string[] };
}

async function scoreAll(spec: string, testbedDirs: string[], db: string, options: GateOptions): Promise<string[]> {
  const model = await openModel(spec, options.modelOptions);
  try {
    const runIds: string[] = [];
    for (const dir of testbedDirs) {
      options.log?.(`scoring ${dir} with ${spec} (cached runs are reused)`);
      runIds.push((await scoreTestbed({ model, testbed: dir, db, quiet: options.quiet })).runId);
    }
    return runIds;
  } finally {
    await model.dispose();
  }
}

async function importBaseline(path: string, testbeds: TestbedHandle[], db: string): Promise<string[]> {
  const dir = path.endsWith('.parquet') ? dirname(path) : path;
  const missing = ['runs', 'snippets', 'snippet_concepts', 'tokens'].filter((t) => !existsSync(join(dir, `${t}.parquet`)));
  if (missing.length) {
    throw new UserError(`${dir} is not a scores export: ${missing.map((t) => `${t}.parquet`).join(', ')} missing`, { hint: 'write one with: codegen-eval score --model BASELINE --testbed NAME --parquet DIR', exitCode: 2 });
  }
  const store = await ScoreStore.open(db);
  let runs;
  try {
    runs = await store.importParquet(dir);
  } finally {
    store.close();
  }
  const ids: string[] = [];
  for (const t of testbeds) {
    const sha = await sha256Files(join(t.dir, 'manifest.json'), join(t.dir, 'rows.jsonl'));
    const run = runs.find((r) => r.testbedSha256 === sha);
    if (!run) {
      throw new UserError(`${dir} holds no baseline scores for testbed ${t.manifest.name} (its runs are for: ${[...new Set(runs.map((r) => r.testbed))].join(', ') || 'nothing'})`, { hint: 'export the baseline scored on this very testbed (same rows and manifest), or drop --baseline-scores', exitCode: 2 });
    }
    ids.push(run.runId);
  }
  return ids;
}

export async function runGate(options: GateOptions): Promise<GateResult> {
  const db = resolve(options.db ?? DEFAULT_DB);
  const testbeds = (options.testbeds?.length ? options.testbeds : readTestbedPlan().testbeds.map((t) => t.name)).map((t) => openTestbed(t));
  const dirs = testbeds.map((t) => t.dir);
  const baselineRuns = options.baselineScores ? await importBaseline(options.baselineScores, testbeds, db) : await scoreAll(options.baseline, dirs, db, options);
  const candidateRuns = await scoreAll(options.candidate, dirs, db, options);
  const originals = await originalSnippets(testbeds);
  const base = await snippetMetric(db, baselineRuns, originals, options.rules.metric);
  const cand = await snippetMetric(db, candidateRuns, originals, options.rules.metric);
  const samples = new Map<string, ConceptSample>();
  for (const [key, b] of base) {
    const c = cand.get(key);
    if (!c) continue;
    const concept = key.slice(0, key.indexOf('\u0000'));
    const s = samples.get(concept) ?? { baseline: [], candidate: [], tokens: 0 };
    s.baseline.push(b.value);
    s.candidate.push(c.value);
    s.tokens += b.tokens;
    samples.set(concept, s);
  }
  if (samples.size === 0) {
    throw new UserError('the baseline and the candidate share no scored snippets', { hint: 'check that both models score the testbeds (see codegen-eval score), and that the metric exists for them (top1 needs a model that gives ranks)', exitCode: 2 });
  }
  if (options.rules.concepts !== 'all') {
    const unknown = options.rules.concepts.filter((c) => !samples.has(c));
    if (unknown.length) throw new UserError(`unknown concept${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, { hint: `concepts scored here: ${[...samples.keys()].join(', ')}`, exitCode: 2 });
  }
  const decision = decideGate(samples, options.rules);
  return {
    format: 'codegen-eval/gate@1', baseline: options.baseline, candidate: options.candidate, metric: options.rules.metric, alpha: options.rules.alpha,
    testbeds: testbeds.map((t) => t.manifest.name), db, runIds: { baseline: baselineRuns, candidate: candidateRuns }, ...decision,
  };
}
