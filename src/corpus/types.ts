import type { LanguageId } from '../languages/languages.ts';
import type { JsonValue } from '../util/hocon.ts';

/** Where a snippet came from: enough to find it again. */
export interface Provenance {
  /** The input file, relative to the corpus root where there is one. */
  file: string;
  /** 1-based line of the record in a JSONL file. */
  record?: number;
  /** 1-based line range in a source file (source trees) or as given by the record. */
  startLine?: number;
  endLine?: number;
  repo?: string;
  path?: string;
  funcName?: string;
  url?: string;
  sha?: string;
  partition?: string;
}

/** One unit of code: a function or method, in one language. The corpus stage's record. */
export interface Snippet {
  id: string;
  language: LanguageId;
  code: string;
  provenance: Provenance;
  /** Further fields of the input record kept as they were (CodeSearchNet's docstring, code_tokens, ...). */
  fields: Record<string, JsonValue>;
}

export type SkipReason =
  | 'malformed-json'
  | 'invalid-utf8'
  | 'line-too-long'
  | 'missing-field'
  | 'unknown-language'
  | 'not-an-object'
  | 'file-too-large'
  | 'unreadable-file'
  | 'unreadable-folder'
  | 'filtered-size';

export interface SkipEvent {
  file: string;
  line?: number;
  reason: SkipReason;
  detail: string;
}
