/**
 * `logprobs:FILE.jsonl`: log-probs computed elsewhere (any framework), one JSON record per line:
 *
 *   {"id": "<testbed row id>", "tokens": ["def", " f", ...], "offsets": [[0, 3], [3, 5], ...],
 *    "logprobs": [null, -2.31, ...], "offset_unit": "codepoints" | "utf16" | "bytes",
 *    "ranks": [...]?, "entropy": [...]?}
 *
 * `logprobs[j]` is log P(token j | tokens before j), natural log; null for a token the model did not
 * score (usually the first). Offsets default to Unicode code points (Python string indices) and are
 * converted to UTF-16. Every record is validated (lengths agree, spans lie in the text and do not go
 * backwards, log-probs are numbers <= 0) with errors naming the file, line and field.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readLines } from '../corpus/lines.ts';
import { codePointToUtf16Table, utf8ToUtf16Table } from '../syntax/offsets.ts';
import { UserError } from '../util/errors.ts';
import type { ScoringModel, TokenScores } from './types.ts';

interface RecordIn {
  line: number;
  tokens: string[];
  offsets: [number, number][];
  logprobs: (number | null)[];
  unit: 'codepoints' | 'utf16' | 'bytes';
  ranks?: number[];
  entropy?: number[];
}

export async function openLogprobsFile(spec: string, file: string): Promise<ScoringModel> {
  if (!existsSync(file)) throw new UserError(`log-prob file not found: ${file}`, { hint: 'give logprobs:PATH to a JSONL file, one record per snippet (see codegen-eval score --help)' });
  const fail = (line: number, message: string): never => {
    throw new UserError(`${file}:${line}: ${message}`, { hint: 'each line: {"id", "tokens", "offsets": [[start, end], ...], "logprobs", "offset_unit"?}' });
  };
  // every record is checked now, before any work, and the bytes hashed (the identity); the records are
  // held only once a row is scored, so that a report whose scores are all cached never holds the tokens
  const digest = createHash('sha256');
  const { count } = await readRecords(file, fail, false, (chunk) => digest.update(chunk));
  const identity = `logprobs:${digest.digest('hex').slice(0, 32)}`;
  let loaded: Promise<{ records: Map<string, RecordIn> }> | undefined;
  return {
    spec,
    kind: 'logprobs',
    identity,
    info: { file, records: count },
    async score(text: string, id: string): Promise<TokenScores> {
      const { records } = await (loaded ??= readRecords(file, fail, true));
      return scoreRecord(records, file, fail, text, id);
    },
    dispose: async () => {},
  };
}

/** Read and check every record; with `keep`, hold them by id. */
async function readRecords(file: string, fail: (line: number, message: string) => never, keep: boolean, onRawChunk?: (chunk: Buffer) => void): Promise<{ records: Map<string, RecordIn>; count: number }> {
  const records = new Map<string, RecordIn>();
  const seen = new Set<string>();
  for await (const event of readLines(file, { onRawChunk })) {
    if (event.kind !== 'line') fail(event.line, event.kind === 'invalid-utf8' ? 'not valid UTF-8' : 'line too long');
    const text = (event as { text: string }).text;
    if (!text.trim()) continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      return fail(event.line, `not valid JSON: ${(error as Error).message}`);
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) fail(event.line, 'each line must be a JSON object');
    const id = r.id;
    if (typeof id !== 'string' && typeof id !== 'number') fail(event.line, "missing 'id' (the testbed row id)");
    for (const field of ['tokens', 'offsets', 'logprobs']) if (!Array.isArray(r[field])) fail(event.line, `'${field}' must be an array`);
    const tokens = r.tokens as unknown[];
    const offsets = r.offsets as unknown[];
    const logprobs = r.logprobs as unknown[];
    if (offsets.length !== tokens.length || logprobs.length !== tokens.length) {
      fail(event.line, `'tokens' (${tokens.length}), 'offsets' (${offsets.length}) and 'logprobs' (${logprobs.length}) must have the same length`);
    }
    tokens.forEach((t, j) => typeof t !== 'string' && fail(event.line, `tokens[${j}] must be a string`));
    offsets.forEach((o, j) => {
      if (!Array.isArray(o) || o.length !== 2 || !o.every((v) => Number.isInteger(v) && v >= 0) || o[1] < o[0]) fail(event.line, `offsets[${j}] must be [start, end] with 0 <= start <= end`);
    });
    logprobs.forEach((v, j) => {
      if (v !== null && !(typeof v === 'number' && Number.isFinite(v) && v <= 1e-9)) fail(event.line, `logprobs[${j}] must be a log-probability (a number <= 0) or null, got ${JSON.stringify(v)}`);
    });
    const unit = (r.offset_unit ?? 'codepoints') as RecordIn['unit'];
    if (!['codepoints', 'utf16', 'bytes'].includes(unit)) fail(event.line, `'offset_unit' must be codepoints, utf16 or bytes`);
    if (seen.has(String(id))) fail(event.line, `the id '${id}' appears twice`);
    seen.add(String(id));
    if (keep) records.set(String(id), { line: event.line, tokens: tokens as string[], offsets: offsets as [number, number][], logprobs: logprobs as (number | null)[], unit, ranks: r.ranks as number[] | undefined, entropy: r.entropy as number[] | undefined });
  }
  if (seen.size === 0) throw new UserError(`${file}: no records`);
  return { records, count: seen.size };
}

function scoreRecord(records: Map<string, RecordIn>, file: string, fail: (line: number, message: string) => never, text: string, id: string): TokenScores {
      const r = records.get(id);
      if (!r) throw new UserError(`${file}: no record for the testbed row '${id}'`, { hint: 'the file must hold one record per testbed row (id = the row id in rows.jsonl)' });
      const table = r.unit === 'utf16' ? null : r.unit === 'bytes' ? utf8ToUtf16Table(text) : codePointToUtf16Table(text);
      const limit = table ? table.length - 1 : text.length;
      const offsets = new Int32Array(r.tokens.length * 2);
      let previous = 0;
      r.offsets.forEach(([s, e], j) => {
        if (e > limit) fail(r.line, `offsets[${j}] = [${s}, ${e}] lies past the end of the row's code (${limit} ${r.unit})`);
        if (s < previous) fail(r.line, `offsets[${j}] starts before the previous token ends`);
        previous = e;
        offsets[2 * j] = table ? table[s] : s;
        offsets[2 * j + 1] = table ? table[e] : e;
      });
      return {
        tokens: r.tokens,
        offsets,
        logprobs: Float64Array.from(r.logprobs, (v) => (v === null ? NaN : v)),
        ranks: r.ranks ? Int32Array.from(r.ranks) : null,
        entropy: r.entropy ? Float64Array.from(r.entropy) : null,
      };
}
