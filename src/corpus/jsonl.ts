/**
 * JSONL records to snippets. One reader serves CodeSearchNet files (`repo, path, func_name,
 * original_string, language, code, code_tokens, docstring, docstring_tokens, sha, url, partition`)
 * and plain `{id?, language, code}` records.
 */
import { basename } from 'node:path';
import { normalizeLanguage, type LanguageId } from '../languages/languages.ts';
import type { JsonValue } from '../util/hocon.ts';
import { readLines, type LineReaderOptions } from './lines.ts';
import type { SkipLog } from './skips.ts';
import type { Snippet } from './types.ts';

export interface JsonlReadOptions extends LineReaderOptions {
  /** Name of the file in provenance and ids (relative to the corpus root). */
  displayName?: string;
  /** Language for records that have none. */
  defaultLanguage?: LanguageId;
  /** Keep only these languages (others are silently passed over, not skipped as errors). */
  languages?: ReadonlySet<LanguageId>;
}

const PROVENANCE_FIELDS = new Set(['repo', 'path', 'func_name', 'url', 'sha', 'partition', 'language', 'code', 'id']);

export async function* readJsonlSnippets(path: string, skips: SkipLog, options: JsonlReadOptions = {}): AsyncGenerator<Snippet> {
  const file = options.displayName ?? path;
  const tag = basename(file).replace(/\.jsonl(\.gz)?$|\.json(\.gz)?$|\.gz$/, '');
  for await (const event of readLines(path, options)) {
    if (event.kind === 'too-long') {
      skips.skip({ file, line: event.line, reason: 'line-too-long', detail: `${event.bytes} bytes is over the line limit (--max-line-bytes)` });
      continue;
    }
    if (event.kind === 'invalid-utf8') {
      skips.skip({ file, line: event.line, reason: 'invalid-utf8', detail: 'the line is not valid UTF-8' });
      continue;
    }
    const text = event.text;
    if (text.trim() === '') continue;
    let record: JsonValue;
    try {
      record = JSON.parse(text) as JsonValue;
    } catch (error) {
      skips.skip({ file, line: event.line, reason: 'malformed-json', detail: (error as Error).message });
      continue;
    }
    if (!record || typeof record !== 'object' || Array.isArray(record)) {
      skips.skip({ file, line: event.line, reason: 'not-an-object', detail: 'each line must be a JSON object' });
      continue;
    }
    const code = typeof record.code === 'string' ? record.code : typeof record.original_string === 'string' ? record.original_string : undefined;
    if (code === undefined) {
      skips.skip({ file, line: event.line, reason: 'missing-field', detail: "no 'code' (or 'original_string') string" });
      continue;
    }
    let language: LanguageId | undefined = options.defaultLanguage;
    if (record.language !== undefined) {
      language = typeof record.language === 'string' ? normalizeLanguage(record.language) : undefined;
      if (!language) {
        skips.skip({ file, line: event.line, reason: 'unknown-language', detail: `language ${JSON.stringify(record.language)} is not one of python, java, javascript, go, php, ruby` });
        continue;
      }
    }
    if (!language) {
      skips.skip({ file, line: event.line, reason: 'missing-field', detail: "no 'language' field (or pass --lang)" });
      continue;
    }
    if (options.languages && !options.languages.has(language)) continue;
    const str = (k: string) => (typeof record[k] === 'string' ? (record[k] as string) : undefined);
    const fields: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(record)) if (!PROVENANCE_FIELDS.has(k)) fields[k] = v;
    const id = typeof record.id === 'string' || typeof record.id === 'number' ? String(record.id) : `${tag}:${event.line}`;
    yield {
      id,
      language,
      code,
      provenance: {
        file,
        record: event.line,
        repo: str('repo'),
        path: str('path'),
        funcName: str('func_name'),
        url: str('url'),
        sha: str('sha'),
        partition: str('partition'),
      },
      fields,
    };
  }
}
