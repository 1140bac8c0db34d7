/**
 * The scores database: one DuckDB file per workspace (default .codegen-eval/scores.duckdb). Its
 * tables and their column types are `SCHEMA` below (and docs/ARCHITECTURE.md):
 * - runs: one row per (model, testbed, options);
 * - snippets: one row per scored testbed row: its arm (and `treated`, the arm as a 0/1 treatment
 *   `effect` reads as it is), overall metrics, and the row's covariates as typed columns (snake_case:
 *   chars, ast_depth, cyclomatic, ..., model_tokens);
 * - snippet_concepts: one row per snippet and concept present in it;
 * - tokens: every model token, with its id where the model gives one, its span [char_start, char_end)
 *   in UTF-16 units, and its concepts and AST leaf types as lists.
 * Snippets are committed in batches (256 snippets or 2 s), each snippet's snippets row after its
 * tokens and concepts, so a kill loses at most the uncommitted batch (scored again on resume) and
 * never leaves half of a snippet. `meta` holds the schema
 * version; a database of another version is refused (never changed or deleted).
 */
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DOUBLE, DuckDBDataChunk, DuckDBInstance, INTEGER, LIST, listValue, VARCHAR, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { COVARIATE_NAMES } from '../syntax/covariates.ts';
import { UserError } from '../util/errors.ts';
import type { GroupMetrics, SnippetScores, TokenRow } from './aggregate.ts';

export const SCHEMA_VERSION = 2;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The covariates stored per snippet: the testbed row's, then the model-token count. */
export const COVARIATE_COLUMNS: readonly { name: string; column: string }[] = [...COVARIATE_NAMES, 'modelTokens'].map((name) => ({ name, column: snake(name) }));

const METRICS = 'tokens INTEGER, scored INTEGER, mean_logprob DOUBLE, mean_prob DOUBLE, cross_entropy DOUBLE, top1_accuracy DOUBLE, mean_entropy DOUBLE';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (schema_version INTEGER);
CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR PRIMARY KEY, model_spec VARCHAR, model_kind VARCHAR, model_identity VARCHAR, model_info VARCHAR, testbed VARCHAR, testbed_dir VARCHAR, testbed_sha256 VARCHAR, options VARCHAR, tool_version VARCHAR, started_at VARCHAR);
CREATE TABLE IF NOT EXISTS snippets (run_id VARCHAR, row_id VARCHAR, pair_id VARCHAR, arm VARCHAR, treated INTEGER, language VARCHAR, ${METRICS}, ${COVARIATE_COLUMNS.map((c) => `${c.column} INTEGER`).join(', ')});
CREATE TABLE IF NOT EXISTS snippet_concepts (run_id VARCHAR, row_id VARCHAR, concept VARCHAR, ${METRICS});
CREATE TABLE IF NOT EXISTS tokens (run_id VARCHAR, row_id VARCHAR, position INTEGER, token_id INTEGER, token VARCHAR, char_start INTEGER, char_end INTEGER, logprob DOUBLE, rank INTEGER, entropy DOUBLE, concepts VARCHAR[], leaf_types VARCHAR[]);
`;

/** A SQL expression giving a snippets row's covariates as a JSON object (camelCase names), for `alias.` columns. */
export function covariatesJsonSql(alias: string): string {
  return `json_object(${COVARIATE_COLUMNS.map((c) => `'${c.name}', ${alias}.${c.column}`).join(', ')})`;
}

/** The covariates of a snippets row read back (absent ones left out). */
export function covariatesFromJson(json: unknown): Record<string, number> {
  const parsed = JSON.parse(String(json)) as Record<string, number | null>;
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, number] => e[1] !== null));
}

async function checkSchema(connection: DuckDBConnection, path: string): Promise<void> {
  const tables = new Set((await connection.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'`)).getRowObjectsJS().map((r) => String(r.table_name)));
  if (tables.size === 0) return;
  if (!['meta', 'runs', 'snippets', 'snippet_concepts', 'tokens'].some((t) => tables.has(t))) {
    throw new UserError(`${path} is a DuckDB database but not a codegen-eval scores database (its tables: ${[...tables].slice(0, 6).join(', ')})`, { hint: 'name another file for the scores (nothing was changed in this one)' });
  }
  const version = tables.has('meta') ? Number((await connection.runAndReadAll('SELECT max(schema_version) AS v FROM meta')).getRowObjectsJS()[0]?.v ?? 1) : 1;
  if (version !== SCHEMA_VERSION) {
    throw new UserError(`${path} holds scores in the format of schema ${version}; this codegen-eval writes schema ${SCHEMA_VERSION}`, {
      hint: `keep it for the codegen-eval that wrote it, or score into a new database (--db/--out another file, or move ${path} aside): nothing is changed in it`,
    });
  }
}

export const DEFAULT_DB = '.codegen-eval/scores.duckdb';

const COMMIT_SNIPPETS = 256;
const READER_MEMORY_LIMIT = '1GB';
const COMMIT_MS = 2000;

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

/** The tokens table's column types, in order, for its data chunks. */
const TOKEN_TYPES = [VARCHAR, VARCHAR, INTEGER, INTEGER, VARCHAR, INTEGER, INTEGER, DOUBLE, INTEGER, DOUBLE, LIST(VARCHAR), LIST(VARCHAR)];
const CHUNK_ROWS = 2048;

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

/**
 * Open a scores database with errors a user can act on: a folder, a file that is not a DuckDB
 * database, one another process holds open for writing, a path that cannot be written.
 */
async function openDatabase(path: string, readOnly: boolean): Promise<DuckDBInstance> {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`the scores database ${path} is a folder`, { hint: 'name a .duckdb file' });
  if (readOnly && !existsSync(path)) throw new UserError(`no scores database at ${path}`, { hint: 'score first (codegen-eval score or report), or name the database with --db' });
  try {
    return await DuckDBInstance.create(path, readOnly ? { access_mode: 'READ_ONLY' } : undefined);
  } catch (error) {
    const message = (error as Error).message;
    if (/not a valid DuckDB database file/i.test(message)) throw new UserError(`${path} exists but is not a DuckDB database`, { hint: 'name another file for the scores (nothing was changed in this one)' });
    if (/Could not set lock|Conflicting lock/i.test(message)) {
      const pid = /PID (\d+)/.exec(message)?.[1];
      throw new UserError(`the scores database ${path} is open in another process${pid ? ` (PID ${pid})` : ''}`, { hint: 'wait for it to finish, or use another database (--out / --db)' });
    }
    if (/serialization|version|incompatible/i.test(message)) throw new UserError(`${path}: DuckDB cannot read this database file (${message.split('\n')[0]})`, { hint: 'it was written by another DuckDB version, or is damaged: use another database' });
    throw new UserError(`cannot open the scores database ${path}: ${message.replace(/^IO Error: /, '').split('\n')[0]}`, { hint: 'check that the path exists and is writable' });
  }
}

export class ScoreStore {
  private constructor(readonly path: string, private readonly instance: DuckDBInstance, readonly connection: DuckDBConnection, private readonly appenders: Record<'snippets' | 'concepts' | 'tokens', DuckDBAppender>) {}

  static async open(path: string): Promise<ScoreStore> {
    await mkdir(dirname(path), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw new UserError(`cannot create the folder for the scores database ${path}: ${error.code ?? error.message}`, { hint: 'choose a writable place with --out (score) or --db (report, gate)' });
    });
    const instance = await openDatabase(path, false);
    const connection = await instance.connect();
    await checkSchema(connection, path);
    for (const statement of SCHEMA.split(';').map((s) => s.trim()).filter(Boolean)) await connection.run(statement);
    if ((await connection.runAndReadAll('SELECT count(*) AS n FROM meta')).getRowObjectsJS()[0].n === 0n) await connection.run(`INSERT INTO meta VALUES (${SCHEMA_VERSION})`);
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

  /** The model tokens of every snippet of the run stored so far, whatever run scored them. */
  async storedTokens(runId: string): Promise<number> {
    const stmt = await this.connection.prepare('SELECT coalesce(sum(model_tokens), 0)::BIGINT AS n FROM snippets WHERE run_id = $1');
    stmt.bindVarchar(1, runId);
    return Number((await stmt.runAndReadAll()).getRowObjectsJS()[0].n);
  }

  private batch: { open: boolean; snippets: number; since: number } = { open: false, snippets: 0, since: 0 };

  /**
   * Write one snippet's tokens, concept rows and snippet row. Snippets are committed together, every
   * COMMIT_SNIPPETS snippets or COMMIT_MS (a commit per snippet spent most of the scoring time in
   * flushes and fsyncs): a kill loses at most the uncommitted ones, which a resumed run scores again,
   * and a snippet is never half stored, since its snippets row is written last in the same transaction.
   */
  async writeSnippet(runId: string, s: SnippetRecord): Promise<void> {
    const { tokens: tok, concepts, snippets } = this.appenders;
    if (!this.batch.open) {
      await this.connection.run('BEGIN TRANSACTION');
      this.batch = { open: true, snippets: 0, since: Date.now() };
    }
    try {
      // a data chunk per 2,048 tokens: lists append several times faster this way than cell by cell
      const rows = s.scores.tokens;
      for (let from = 0; from < rows.length; from += CHUNK_ROWS) {
        const part = rows.slice(from, from + CHUNK_ROWS);
        const chunk = DuckDBDataChunk.create(TOKEN_TYPES, part.length);
        const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
        chunk.setColumns([
          part.map(() => runId), part.map(() => s.rowId), part.map((t) => t.position), part.map((t) => t.tokenId), part.map((t) => t.token),
          part.map((t) => t.start), part.map((t) => t.end), part.map((t) => finite(t.logprob)), part.map((t) => t.rank), part.map((t) => finite(t.entropy)),
          part.map((t) => listValue(t.concepts)), part.map((t) => listValue(t.leafTypes)),
        ]);
        tok.appendDataChunk(chunk);
      }
      for (const [concept, m] of s.scores.concepts) {
        concepts.appendVarchar(runId);
        concepts.appendVarchar(s.rowId);
        concepts.appendVarchar(concept);
        appendMetrics(concepts, m);
        concepts.endRow();
      }
      snippets.appendVarchar(runId);
      snippets.appendVarchar(s.rowId);
      if (s.pairId === null) snippets.appendNull();
      else snippets.appendVarchar(s.pairId);
      snippets.appendVarchar(s.arm);
      snippets.appendInteger(s.arm === 'treated' ? 1 : 0);
      snippets.appendVarchar(s.language);
      appendMetrics(snippets, s.scores.overall);
      for (const { name } of COVARIATE_COLUMNS) {
        const v = s.covariates[name];
        if (v !== undefined && !Number.isInteger(v)) throw new Error(`covariate ${name} of ${s.rowId} is ${v}, not a count`);
        appendMaybe(snippets, v ?? null, 'integer');
      }
      snippets.endRow();
    } catch (error) {
      await this.rollback();
      throw error;
    }
    this.batch.snippets++;
    if (this.batch.snippets >= COMMIT_SNIPPETS || Date.now() - this.batch.since >= COMMIT_MS) await this.commit();
  }

  /** Commit the snippets written since the last commit. */
  async commit(): Promise<void> {
    if (!this.batch.open) return;
    try {
      for (const a of [this.appenders.tokens, this.appenders.concepts, this.appenders.snippets]) a.flushSync();
      await this.connection.run('COMMIT');
    } catch (error) {
      await this.rollback();
      throw error;
    }
    this.batch.open = false;
  }

  private async rollback(): Promise<void> {
    this.batch.open = false;
    // the appenders' unflushed rows belong to the batch: they go with it
    for (const a of [this.appenders.tokens, this.appenders.concepts, this.appenders.snippets]) {
      try { a.clear(); } catch { /* nothing buffered */ }
    }
    await this.connection.run('ROLLBACK');
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
      for (const table of ['snippets', 'snippet_concepts', 'tokens', 'runs']) {
        const columns = async (sql: string) => (await this.connection.runAndReadAll(sql)).getRowObjectsJS().map((r) => `${r.column_name} ${r.column_type}`).join(', ');
        const want = await columns(`DESCRIBE ${table}`);
        const got = await columns(`DESCRIBE SELECT * FROM read_parquet(${file(table)})`);
        if (got !== want) throw new UserError(`${join(dir, `${table}.parquet`)} has the columns (${got}), not those of schema ${SCHEMA_VERSION} (${want})`, { hint: 'import Parquet exported by the same codegen-eval version' });
      }
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

export interface StoredRun extends RunRecord { startedAt: string }
export interface StoredSnippet { rowId: string; pairId: string | null; arm: 'control' | 'treated'; language: string; metrics: GroupMetrics; covariates: Record<string, number> }
export interface StoredSnippetConcept { rowId: string; concept: string; metrics: GroupMetrics }
export type StoredToken = Omit<TokenRow, 'position'> & { rowId: string; position: number };

function metricsOf(r: Record<string, unknown>): GroupMetrics {
  const num = (v: unknown) => (v === null ? null : Number(v));
  return { tokens: Number(r.tokens), scored: Number(r.scored), meanLogprob: num(r.mean_logprob), meanProb: num(r.mean_prob), crossEntropy: num(r.cross_entropy), top1Accuracy: num(r.top1_accuracy), meanEntropy: num(r.mean_entropy) };
}

/** A read-only view of a scores database: one instance for any number of queries, then `close`. */
export class ScoresReader {
  private constructor(private readonly instance: DuckDBInstance, private readonly connection: DuckDBConnection) {}

  static async open(path: string): Promise<ScoresReader> {
    const instance = await openDatabase(path, true);
    const connection = await instance.connect();
    await checkSchema(connection, path);
    // DuckDB's buffer pool defaults to 80% of RAM; a report's sorts and joins over millions of tokens
    // spill to the temporary folder beyond this instead (the report's memory promise: docs/ARCHITECTURE.md)
    await connection.run(`SET memory_limit = '${READER_MEMORY_LIMIT}'`);
    await connection.run(`SET temp_directory = '${tmpdir().replace(/'/g, "''")}/codegen-eval-duckdb'`);
    return new ScoresReader(instance, connection);
  }

  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJS() as T[];
  }

  /** The rows of a query in chunks as DuckDB produces them, for results too large to hold at once (tokens). */
  async *streamRows<T = Record<string, unknown>>(sql: string): AsyncGenerator<T> {
    const result = await this.connection.stream(sql);
    for await (const chunk of result.yieldRowObjectJs()) for (const row of chunk) yield row as T;
  }

  private async query(sql: string, params: string[]): Promise<Record<string, unknown>[]> {
    const statement = await this.connection.prepare(sql);
    params.forEach((p, i) => statement.bindVarchar(i + 1, p));
    return (await statement.runAndReadAll()).getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Every run in the database, oldest first. */
  async runs(): Promise<StoredRun[]> {
    const rows = await this.query('SELECT * FROM runs ORDER BY started_at, run_id', []);
    return rows.map((r) => ({
      runId: String(r.run_id), modelSpec: String(r.model_spec), modelKind: String(r.model_kind), modelIdentity: String(r.model_identity),
      modelInfo: JSON.parse(String(r.model_info)) as Record<string, unknown>, testbed: String(r.testbed), testbedDir: String(r.testbed_dir),
      testbedSha256: String(r.testbed_sha256), options: JSON.parse(String(r.options)) as Record<string, unknown>, toolVersion: String(r.tool_version), startedAt: String(r.started_at),
    }));
  }

  /** A run's snippets (testbed rows), in row-id order, with their covariates. */
  async snippets(runId: string): Promise<StoredSnippet[]> {
    const rows = await this.query(`SELECT *, ${covariatesJsonSql('snippets')} AS covariates_json FROM snippets WHERE run_id = $1 ORDER BY row_id`, [runId]);
    return rows.map((r) => ({
      rowId: String(r.row_id), pairId: r.pair_id === null ? null : String(r.pair_id), arm: String(r.arm) as 'control' | 'treated', language: String(r.language),
      metrics: metricsOf(r), covariates: covariatesFromJson(r.covariates_json),
    }));
  }

  /** A run's rows per snippet and concept. */
  async snippetConcepts(runId: string): Promise<StoredSnippetConcept[]> {
    const rows = await this.query('SELECT * FROM snippet_concepts WHERE run_id = $1 ORDER BY row_id, concept', [runId]);
    return rows.map((r) => ({ rowId: String(r.row_id), concept: String(r.concept), metrics: metricsOf(r) }));
  }

  /** A run's tokens (of one row when `rowId` is given), in order. */
  async tokens(runId: string, rowId?: string): Promise<StoredToken[]> {
    const rows = rowId === undefined
      ? await this.query('SELECT * FROM tokens WHERE run_id = $1 ORDER BY row_id, position', [runId])
      : await this.query('SELECT * FROM tokens WHERE run_id = $1 AND row_id = $2 ORDER BY position', [runId, rowId]);
    const num = (v: unknown) => (v === null ? null : Number(v));
    return rows.map((r) => ({
      rowId: String(r.row_id), position: Number(r.position), tokenId: num(r.token_id), token: String(r.token), start: Number(r.char_start), end: Number(r.char_end),
      logprob: num(r.logprob), rank: num(r.rank), entropy: num(r.entropy), concepts: (r.concepts as string[]) ?? [], leafTypes: (r.leaf_types as string[]) ?? [],
    }));
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
