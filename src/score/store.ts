/**
 * The scores database: one DuckDB file per workspace (default .codegen-eval/scores.duckdb). Tables:
 * - runs(run_id, model_spec, model_kind, model_identity, model_info, testbed, testbed_dir, testbed_sha256,
 *   options, tool_version, started_at): one row per (model, testbed, options);
 * - snippets(run_id, row_id, pair_id, arm, language, tokens, scored, mean_logprob, mean_prob,
 *   cross_entropy, top1_accuracy, mean_entropy, covariates): one row per scored testbed row; covariates
 *   is the row's JSON covariates plus modelTokens;
 * - snippet_concepts(run_id, row_id, concept, tokens, scored, mean_logprob, mean_prob, cross_entropy,
 *   top1_accuracy, mean_entropy): one row per snippet and concept present in it;
 * - tokens(run_id, row_id, position, token, start, "end", logprob, rank, entropy, concepts, leaf_types):
 *   every model token (concepts and leaf types comma-separated).
 * Each snippet is written in one transaction (its tokens, concepts, and last its snippets row), so a
 * kill loses at most the snippet in flight and never leaves half of one.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import type { GroupMetrics, SnippetScores } from './aggregate.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR PRIMARY KEY, model_spec VARCHAR, model_kind VARCHAR, model_identity VARCHAR, model_info VARCHAR, testbed VARCHAR, testbed_dir VARCHAR, testbed_sha256 VARCHAR, options VARCHAR, tool_version VARCHAR, started_at VARCHAR);
CREATE TABLE IF NOT EXISTS snippets (run_id VARCHAR, row_id VARCHAR, pair_id VARCHAR, arm VARCHAR, language VARCHAR, tokens INTEGER, scored INTEGER, mean_logprob DOUBLE, mean_prob DOUBLE, cross_entropy DOUBLE, top1_accuracy DOUBLE, mean_entropy DOUBLE, covariates VARCHAR);
CREATE TABLE IF NOT EXISTS snippet_concepts (run_id VARCHAR, row_id VARCHAR, concept VARCHAR, tokens INTEGER, scored INTEGER, mean_logprob DOUBLE, mean_prob DOUBLE, cross_entropy DOUBLE, top1_accuracy DOUBLE, mean_entropy DOUBLE);
CREATE TABLE IF NOT EXISTS tokens (run_id VARCHAR, row_id VARCHAR, position INTEGER, token VARCHAR, start INTEGER, "end" INTEGER, logprob DOUBLE, rank INTEGER, entropy DOUBLE, concepts VARCHAR, leaf_types VARCHAR);
`;

export const DEFAULT_DB = '.codegen-eval/scores.duckdb';

export interface RunRecord {
  runId: string;
  modelSpec: string;
  modelKind: string;
  modelIdentity: string;
  modelInfo: Record<string, unknown>;
  testbed: string;
  testbedDir: string;
  testbedSha256: string;
  options: Record<string, unknown>;
  toolVersion: string;
}

export interface SnippetRecord {
  rowId: string;
  pairId: string | null;
  arm: string;
  language: string;
  covariates: Record<string, number>;
  scores: SnippetScores;
}

function appendMaybe(app: DuckDBAppender, v: number | null, kind: 'double' | 'integer'): void {
  if (v === null || !Number.isFinite(v)) app.appendNull();
  else if (kind === 'double') app.appendDouble(v);
  else app.appendInteger(v);
}

function appendMetrics(app: DuckDBAppender, m: GroupMetrics): void {
  app.appendInteger(m.tokens);
  app.appendInteger(m.scored);
  for (const v of [m.meanLogprob, m.meanProb, m.crossEntropy, m.top1Accuracy, m.meanEntropy]) appendMaybe(app, v, 'double');
}

export class ScoreStore {
  private constructor(readonly path: string, private readonly instance: DuckDBInstance, readonly connection: DuckDBConnection, private readonly appenders: Record<'snippets' | 'concepts' | 'tokens', DuckDBAppender>) {}

  static async open(path: string): Promise<ScoreStore> {
    await mkdir(dirname(path), { recursive: true });
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    for (const statement of SCHEMA.split(';').map((s) => s.trim()).filter(Boolean)) await connection.run(statement);
    const appenders = {
      snippets: await connection.createAppender('snippets'),
      concepts: await connection.createAppender('snippet_concepts'),
      tokens: await connection.createAppender('tokens'),
    };
    return new ScoreStore(path, instance, connection, appenders);
  }

  async ensureRun(run: RunRecord): Promise<'new' | 'existing'> {
    const found = await this.connection.prepare('SELECT count(*) AS n FROM runs WHERE run_id = $1');
    found.bindVarchar(1, run.runId);
    const n = Number((await found.runAndReadAll()).getRowObjectsJS()[0].n);
    if (n > 0) return 'existing';
    const insert = await this.connection.prepare('INSERT INTO runs VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)');
    [run.runId, run.modelSpec, run.modelKind, run.modelIdentity, JSON.stringify(run.modelInfo), run.testbed, run.testbedDir, run.testbedSha256, JSON.stringify(run.options), run.toolVersion, new Date().toISOString()]
      .forEach((v, i) => insert.bindVarchar(i + 1, v));
    await insert.run();
    return 'new';
  }

  async scoredRows(runId: string): Promise<Set<string>> {
    const stmt = await this.connection.prepare('SELECT row_id FROM snippets WHERE run_id = $1');
    stmt.bindVarchar(1, runId);
    return new Set((await stmt.runAndReadAll()).getRowObjectsJS().map((r) => String(r.row_id)));
  }

  /** Write one snippet's tokens, concept rows and snippet row in one transaction. */
  async writeSnippet(runId: string, s: SnippetRecord): Promise<void> {
    const { tokens: tok, concepts, snippets } = this.appenders;
    await this.connection.run('BEGIN TRANSACTION');
    try {
      for (const t of s.scores.tokens) {
        tok.appendVarchar(runId);
        tok.appendVarchar(s.rowId);
        tok.appendInteger(t.position);
        tok.appendVarchar(t.token);
        tok.appendInteger(t.start);
        tok.appendInteger(t.end);
        appendMaybe(tok, t.logprob, 'double');
        appendMaybe(tok, t.rank, 'integer');
        appendMaybe(tok, t.entropy, 'double');
        tok.appendVarchar(t.concepts.join(','));
        tok.appendVarchar(t.leafTypes.join(','));
        tok.endRow();
      }
      tok.flushSync();
      for (const [concept, m] of s.scores.concepts) {
        concepts.appendVarchar(runId);
        concepts.appendVarchar(s.rowId);
        concepts.appendVarchar(concept);
        appendMetrics(concepts, m);
        concepts.endRow();
      }
      concepts.flushSync();
      snippets.appendVarchar(runId);
      snippets.appendVarchar(s.rowId);
      if (s.pairId === null) snippets.appendNull();
      else snippets.appendVarchar(s.pairId);
      snippets.appendVarchar(s.arm);
      snippets.appendVarchar(s.language);
      appendMetrics(snippets, s.scores.overall);
      snippets.appendVarchar(JSON.stringify(s.covariates));
      snippets.endRow();
      snippets.flushSync();
      await this.connection.run('COMMIT');
    } catch (error) {
      await this.connection.run('ROLLBACK');
      throw error;
    }
  }

  /** Copy a table (or query) to Parquet. */
  async exportParquet(table: 'runs' | 'snippets' | 'snippet_concepts' | 'tokens', file: string, runId?: string): Promise<void> {
    const where = runId ? ` WHERE run_id = '${runId.replace(/'/g, "''")}'` : '';
    await this.connection.run(`COPY (SELECT * FROM ${table}${where}) TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`);
  }

  /**
   * Import runs exported by `exportParquet` (a folder holding runs/snippets/snippet_concepts/tokens
   * .parquet), skipping runs already here; returns the imported runs' ids and testbed hashes. One
   * transaction: a failed import leaves the database as it was.
   */
  async importParquet(dir: string): Promise<{ runId: string; testbedSha256: string; testbed: string }[]> {
    const file = (t: string) => `'${join(dir, `${t}.parquet`).replace(/'/g, "''")}'`;
    await this.connection.run('BEGIN TRANSACTION');
    try {
      const runs = (await this.connection.runAndReadAll(`SELECT run_id, testbed_sha256, testbed FROM read_parquet(${file('runs')})`)).getRowObjectsJS() as { run_id: string; testbed_sha256: string; testbed: string }[];
      for (const table of ['snippets', 'snippet_concepts', 'tokens', 'runs']) {
        await this.connection.run(`INSERT INTO ${table} SELECT * FROM read_parquet(${file(table)}) WHERE run_id NOT IN (SELECT run_id FROM ${table})`);
      }
      await this.connection.run('COMMIT');
      return runs.map((r) => ({ runId: r.run_id, testbedSha256: r.testbed_sha256, testbed: r.testbed }));
    } catch (error) {
      await this.connection.run('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    for (const a of Object.values(this.appenders)) a.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** A read-only view of a scores database: one instance for any number of queries, then `close`. */
export class ScoresReader {
  private constructor(private readonly instance: DuckDBInstance, private readonly connection: DuckDBConnection) {}

  static async open(path: string): Promise<ScoresReader> {
    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    return new ScoresReader(instance, await instance.connect());
  }

  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJS() as T[];
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
