/**
 * Function- and method-level snippets from a tree of source files, extracted with tree-sitter. A
 * unit nested in another unit stays part of its outer unit. Doc comments directly above a unit (no
 * blank line between) belong to it, as CodeSearchNet's docstrings do, and the unit is dedented by its
 * first line's column.
 */
import { UserError } from '../util/errors.ts';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { languageForPath, languageSpec, type LanguageId } from '../languages/languages.ts';
import { getParser, parseWith, typeName, type FlatTree } from '../languages/parser.ts';
import type { SkipLog } from './skips.ts';
import type { Snippet } from './types.ts';

export interface SourceTreeOptions {
  languages?: ReadonlySet<LanguageId>;
  maxFileBytes?: number;
  minLines?: number;
  maxChars?: number;
  /** Folder names never entered. */
  excludeDirs?: ReadonlySet<string>;
  /** The folder file names are given relative to (default: the root walked). */
  relativeTo?: string;
  onFile?: (path: string, bytes: number) => void;
}

export const DEFAULT_EXCLUDED_DIRS: ReadonlySet<string> = new Set(['.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache']);

/**
 * Files under `root` in a stable order (sorted by path), skipping excluded folders and symbolic links.
 * A folder that cannot be listed is reported to `onUnreadable`; without one, it is an error, never a
 * silent gap in the corpus.
 */
export async function* walkFiles(root: string, excludeDirs: ReadonlySet<string> = DEFAULT_EXCLUDED_DIRS, onUnreadable?: (folder: string, error: NodeJS.ErrnoException) => void): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    // a file named on its own (a glob's match) is walked as itself
    if (e.code === 'ENOTDIR') {
      yield root;
      return;
    }
    if (onUnreadable) {
      onUnreadable(root, e);
      return;
    }
    throw new UserError(`cannot list the folder ${root}: ${e.code ?? e.message}`, { hint: 'give the user running codegen-eval read access to it, or leave it out' });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) {
      if (!excludeDirs.has(entry.name)) yield* walkFiles(path, excludeDirs, onUnreadable);
    } else if (entry.isFile()) {
      yield path;
    }
  }
}

export async function* readSourceTree(root: string, skips: SkipLog, options: SourceTreeOptions = {}): AsyncGenerator<Snippet> {
  const maxFileBytes = options.maxFileBytes ?? 1_000_000;
  const relativeName = (path: string) => relative(options.relativeTo ?? root, path).split(sep).join('/') || path;
  const unreadable = (folder: string, error: NodeJS.ErrnoException) => skips.skip({ file: relativeName(folder), reason: 'unreadable-folder', detail: `the folder cannot be listed (${error.code ?? error.message}): its files are not in the corpus` });
  for await (const path of walkFiles(root, options.excludeDirs ?? DEFAULT_EXCLUDED_DIRS, unreadable)) {
    const language = languageForPath(path);
    if (!language || (options.languages && !options.languages.has(language))) continue;
    const rel = relativeName(path);
    const size = (await stat(path)).size;
    options.onFile?.(path, size);
    if (size > maxFileBytes) {
      skips.skip({ file: rel, reason: 'file-too-large', detail: `${size} bytes is over --max-file-bytes ${maxFileBytes}` });
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      skips.skip({ file: rel, reason: 'unreadable-file', detail: `the file cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
      continue;
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      skips.skip({ file: rel, reason: 'invalid-utf8', detail: 'the file is not valid UTF-8' });
      continue;
    }
    yield* extractUnits(text, language, rel, options);
  }
}

/** Extract the function-level units of one source file. */
export async function* extractUnits(text: string, language: LanguageId, file: string, options: SourceTreeOptions = {}): AsyncGenerator<Snippet> {
  const parser = await getParser(language);
  const tree = parseWith(parser, language, text);
  const lineStarts = lineStartsOf(text);
  for (const unit of findUnits(tree)) {
    const [start, end] = unitSpan(tree, unit);
    const startLine = lineOf(lineStarts, start);
    const endLine = lineOf(lineStarts, end - 1);
    const code = dedent(text, start, end);
    if (endLine - startLine + 1 < (options.minLines ?? 1)) continue;
    if (code.length > (options.maxChars ?? Infinity)) continue;
    yield {
      id: `${file}:${startLine}-${endLine}`,
      language,
      code,
      provenance: { file, path: file, startLine, endLine, funcName: unitName(tree, unit) },
      fields: {},
    };
  }
}

function findUnits(tree: FlatTree): number[] {
  const spec = languageSpec(tree.language);
  const unitTypes = new Set(spec.functionTypes);
  const wrappers = new Set(spec.functionWrapperTypes);
  const units: number[] = [];
  let insideUntil = -1; // end offset of the unit we are inside
  for (let i = 0; i < tree.size; i++) {
    if (tree.start[i] < insideUntil) continue;
    if (unitTypes.has(typeName(tree, i))) {
      const p = tree.parent[i];
      const unit = p >= 0 && wrappers.has(typeName(tree, p)) ? p : i;
      units.push(unit);
      insideUntil = tree.end[unit];
    }
  }
  return units;
}

/** The unit's span, extended upwards over doc comments directly above it. */
function unitSpan(tree: FlatTree, unit: number): [number, number] {
  let start = tree.start[unit];
  const comments = new Set(languageSpec(tree.language).commentTypes);
  if (tree.language !== 'python') {
    // the comments that precede the unit in pre-order and sit right above it
    for (let j = unit - 1; j > 0; j--) {
      if (tree.end[j] > start) continue; // an ancestor
      if (!comments.has(typeName(tree, j))) break;
      const gap = tree.source.slice(tree.end[j], start);
      if (!/^[ \t]*\r?\n?[ \t]*$/.test(gap)) break;
      start = tree.start[j];
    }
  }
  return [start, tree.end[unit]];
}

function unitName(tree: FlatTree, unit: number): string | undefined {
  const d = tree.depth[unit];
  for (let j = unit + 1; j < tree.size && tree.depth[j] > d; j++) {
    if (tree.fieldNames[tree.fieldId[j]] === 'name' && tree.depth[j] <= d + 2) return tree.source.slice(tree.start[j], tree.end[j]);
  }
  return undefined;
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of an offset, by binary search over line starts. */
function lineOf(lineStarts: number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The text of [start, end), with the first line's column of indentation removed from later lines. */
function dedent(text: string, start: number, end: number): string {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indent = text.slice(lineStart, start);
  const body = text.slice(start, end);
  if (!indent || /\S/.test(indent)) return body;
  return body
    .split('\n')
    .map((line, k) => {
      if (k === 0) return line;
      let cut = 0;
      while (cut < indent.length && cut < line.length && (line[cut] === ' ' || line[cut] === '\t')) cut++;
      return line.slice(cut);
    })
    .join('\n');
}
