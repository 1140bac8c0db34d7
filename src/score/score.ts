/**
 * Scoring a testbed: every row's code through a model (any adapter), each model token aligned to the
 * row's syntax tree and concepts, aggregates per snippet and concept written to the scores database.
 * Runs are keyed by (model identity, testbed contents, scoring options); a rerun of the same key skips
 * the rows already scored, so an interrupted run resumes where it stopped.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ScoringModel, TokenScores } from '../models/types.ts';
import type { TestbedRow } from '../testbeds/types.ts';
import { taxonomyFor } from '../syntax/concepts.ts';
import type { LanguageId } from '../languages/languages.ts';
import { getParser, parseWith } from '../languages/parser.ts';
import { openTestbed, readTestbedRows, refuseEmptyTestbed } from '../testbeds/read.ts';
import { Progress } from '../util/progress.ts';
import { TOOL_VERSION } from '../util/version.ts';
import { aggregateSnippet } from './aggregate.ts';
import { DEFAULT_DB, ScoreStore } from './store.ts';

export interface ScoreOptions {
  model: ScoringModel;
  testbed: string;
  db?: string;
  /** Stop after this many newly scored rows (tests simulate an interruption with it). */
  limit?: number;
  quiet?: boolean;
  taxonomies?: Partial<Record<LanguageId, string>>;
}

export interface ScoreSummary {
  runId: string;
  db: string;
  testbed: string;
  model: string;
  rows: number;
  scoredNow: number;
  alreadyScored: number;
  /** The model tokens of all the run's snippets in the database (this call's and earlier calls'). */
  tokens: number;
  /** The tokens this call scored. */
  tokensNow: number;
  /** This call's rate (tokensNow over its wall time). */
  tokensPerSecond: number;
}

/** sha256 of the files' bytes in order. */
export async function sha256Files(...files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) for await (const chunk of createReadStream(f)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function scoreTestbed(options: ScoreOptions): Promise<ScoreSummary> {
  const testbed = openTestbed(options.testbed);
  refuseEmptyTestbed(testbed);
  const testbedSha = await sha256Files(join(testbed.dir, 'manifest.json'), join(testbed.dir, 'rows.jsonl'));
  const scoringOptions = { taxonomies: options.taxonomies ?? {} };
  const runId = createHash('sha256').update(JSON.stringify([options.model.identity, testbedSha, scoringOptions])).digest('hex').slice(0, 16);
  const db = resolve(options.db ?? DEFAULT_DB);
  const store = await ScoreStore.open(db);
  try {
    await store.ensureRun({
      runId, modelSpec: options.model.spec, modelKind: options.model.kind, modelIdentity: options.model.identity, modelInfo: options.model.info,
      testbed: testbed.manifest.name, testbedDir: testbed.dir, testbedSha256: testbedSha, options: scoringOptions, toolVersion: TOOL_VERSION,
    });
    const done = await store.scoredRows(runId);
    const total = testbed.manifest.counts.rows;
    const progress = new Progress({ label: `score ${testbed.manifest.name}`, unit: 'rows', total, quiet: options.quiet });
    const started = Date.now();
    let tokens = 0;
    let scoredNow = 0;
    let seen = 0;
    // up to `concurrency` rows are scored at once (remote servers); results are written in row order
    const concurrency = Math.max(1, options.model.concurrency ?? 1);
    const inFlight: { row: TestbedRow; scores: Promise<TokenScores> }[] = [];
    // a model that batches gets `batchSize` rows per call (local models: their windows share forward passes)
    const model = options.model;
    const batchSize = model.scoreBatch ? Math.max(1, model.batchSize ?? 8) : 0;
    const pending = async function* (): AsyncGenerator<{ row: TestbedRow; scores: TokenScores; seen: number }> {
      let taken = 0;
      const group: TestbedRow[] = [];
      async function* flush() {
        const scored = await model.scoreBatch!(group.map((row) => ({ text: row.code, id: row.id })));
        for (let i = 0; i < group.length; i++) yield { row: group[i], scores: scored[i], seen };
        group.length = 0;
      }
      for await (const row of readTestbedRows(testbed)) {
        seen++;
        if (done.has(row.id)) continue;
        if (options.limit !== undefined && taken >= options.limit) break;
        taken++;
        if (batchSize) {
          group.push(row);
          if (group.length >= batchSize) yield* flush();
          continue;
        }
        const scores = options.model.score(row.code, row.id);
        scores.catch(() => undefined); // awaited below, in order
        inFlight.push({ row, scores });
        if (inFlight.length >= concurrency) {
          const next = inFlight.shift()!;
          yield { row: next.row, scores: await next.scores, seen };
        }
      }
      if (group.length) yield* flush();
      while (inFlight.length) {
        const next = inFlight.shift()!;
        yield { row: next.row, scores: await next.scores, seen };
      }
    };
    for await (const { row, scores } of pending()) {
      const tree = parseWith(await getParser(row.language), row.language, row.code);
      const taxonomy = await taxonomyFor(row.language, options.taxonomies?.[row.language]);
      const aggregated = aggregateSnippet(tree, taxonomy, scores);
      await store.writeSnippet(runId, {
        rowId: row.id, pairId: row.pairId, arm: row.arm, language: row.language,
        covariates: { ...row.covariates, modelTokens: scores.tokens.length },
        scores: aggregated,
      });
      scoredNow++;
      tokens += scores.tokens.length;
      const rate = tokens / Math.max(1e-3, (Date.now() - started) / 1000);
      progress.update(seen, `${Math.round(rate)} tokens/s`);
    }
    await store.commit();
    progress.finish();
    const seconds = Math.max(1e-3, (Date.now() - started) / 1000);
    return { runId, db, testbed: testbed.manifest.name, model: options.model.spec, rows: total, scoredNow, alreadyScored: done.size, tokens: await store.storedTokens(runId), tokensNow: tokens, tokensPerSecond: tokens / seconds };
  } finally {
    // the snippets written completely before a failure are kept: a rerun goes on after them
    await store.commit().catch(() => undefined);
    store.close();
  }
}
