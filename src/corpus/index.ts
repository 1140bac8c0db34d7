/**
 * The corpus stage's entry: a spec (a JSONL or JSONL.gz file, a CodeSearchNet tree, a folder of source
 * files, or a glob) becomes a stream of snippets, read in constant memory.
 */
import { access } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { constants, existsSync, statSync } from 'node:fs';
import { basename, relative, resolve, sep } from 'node:path';
import { UserError } from '../util/errors.ts';
import { languageForPath, type LanguageId } from '../languages/languages.ts';
import { expandGlob, hasGlob } from './glob.ts';
import { readJsonlSnippets } from './jsonl.ts';
import { SkipLog } from './skips.ts';
import { checkSplit, splitPart, type CorpusSplit } from './select.ts';
import { readSourceTree, walkFiles, DEFAULT_EXCLUDED_DIRS } from './sourceTree.ts';
import type { Snippet } from './types.ts';

export type { Snippet, Provenance, SkipEvent, SkipReason } from './types.ts';
export { SkipLog } from './skips.ts';
export { readJsonlSnippets } from './jsonl.ts';
export { readSourceTree, extractUnits, walkFiles } from './sourceTree.ts';
export { readLines } from './lines.ts';

export interface CorpusOptions {
  languages?: LanguageId[];
  /** Language of JSONL records that have no `language` field. */
  defaultLanguage?: LanguageId;
  /** CodeSearchNet partitions to read (train, valid, test); all when absent. */
  partitions?: string[];
  strict?: boolean;
  warn?: (message: string) => void;
  maxLineBytes?: number;
  maxFileBytes?: number;
  /** Minimum lines of a unit extracted from source files. */
  minLines?: number;
  maxChars?: number;
  /** Read only one part of a split by file or repository (select.ts). */
  split?: CorpusSplit;
  /** Reports progress as (bytes read, total bytes). */
  onProgress?: (done: number, total: number) => void;
}

export type CorpusKind = 'jsonl' | 'jsonl-tree' | 'source-tree';

export interface CorpusSource {
  spec: string;
  kind: CorpusKind;
  files: string[];
  root: string;
  totalBytes: number;
  /** Folders that could not be listed while finding the files (reported as skips when read). */
  unreadableFolders?: { folder: string; code: string }[];
}

/** JSONL files inside a folder or glob (`.json` alone is not JSONL: folders are full of package.json). */
const JSONL_FILE = /\.(jsonl|ndjson)(\.gz)?$/i;

/** Work out what a corpus spec names, without reading the records. */
export async function resolveCorpus(spec: string, options: Pick<CorpusOptions, 'partitions'> = {}): Promise<CorpusSource> {
  let files: string[];
  let root: string;
  let kind: CorpusKind;
  let unreadableFolders: CorpusSource['unreadableFolders'];
  if (hasGlob(spec) && !existsSync(spec)) {
    files = await expandGlob(spec);
    if (files.length === 0) throw new UserError(`no files match ${spec}`, { hint: 'quote the pattern so the shell does not expand it, and check the path' });
    // names are relative to the folder before the first wildcard, wherever the command runs
    const segments = spec.split(/[\\/]/);
    const literal = segments.slice(0, segments.findIndex((part) => hasGlob(part))).join('/');
    root = resolve(literal || '.');
    kind = files.every((f) => JSONL_FILE.test(f)) ? 'jsonl-tree' : 'source-tree';
  } else if (!existsSync(spec)) {
    throw new UserError(`corpus not found: ${spec}`, { hint: 'pass a .jsonl/.jsonl.gz file, a CodeSearchNet folder, a folder of source files, or a glob' });
  } else if (statSync(spec).isFile()) {
    files = [spec];
    root = spec;
    kind = 'jsonl';
  } else {
    root = spec;
    const jsonl: string[] = [];
    const unreadable = new Map<string, string>();
    const onUnreadable = (folder: string, error: NodeJS.ErrnoException) => unreadable.set(folder, error.code ?? error.message);
    for await (const f of walkFiles(spec, DEFAULT_EXCLUDED_DIRS, onUnreadable)) if (JSONL_FILE.test(f)) jsonl.push(f);
    unreadableFolders = [...unreadable].map(([folder, code]) => ({ folder, code }));
    if (jsonl.length > 0) {
      files = jsonl;
      kind = 'jsonl-tree';
    } else {
      files = [];
      for await (const f of walkFiles(spec, DEFAULT_EXCLUDED_DIRS, onUnreadable)) if (languageForPath(f)) files.push(f);
      kind = 'source-tree';
    }
  }
  if (options.partitions && kind === 'jsonl-tree') {
    const wanted = new Set(options.partitions);
    files = files.filter((f) => {
      const parts = f.split(/[\\/]/);
      const partition = parts.find((p) => p === 'train' || p === 'valid' || p === 'test');
      return partition === undefined || wanted.has(partition);
    });
  }
  const totalBytes = files.reduce((s, f) => s + statSync(f).size, 0);
  return { spec, kind, files, root, totalBytes, ...(unreadableFolders?.length ? { unreadableFolders } : {}) };
}

/**
 * Stream the snippets of a corpus. Bad records are skipped with a warning (file, line, reason) and
 * counted in `skips`; with `strict` the first one is an error.
 */
export async function* readCorpus(source: CorpusSource, skips: SkipLog, options: CorpusOptions = {}): AsyncGenerator<Snippet> {
  const split = options.split;
  if (!split) {
    yield* readAllSnippets(source, skips, options);
    return;
  }
  checkSplit(split);
  for await (const snippet of readAllSnippets(source, skips, options)) if (splitPart(snippet, split) === split.take) yield snippet;
}

/** The whole corpus; one that yields no snippet at all is an error saying what was skipped. */
async function* readAllSnippets(source: CorpusSource, skips: SkipLog, options: CorpusOptions): AsyncGenerator<Snippet> {
  let yielded = 0;
  for await (const snippet of readEverySnippet(source, skips, options)) {
    yielded++;
    yield snippet;
  }
  if (yielded === 0) {
    const skipped = Object.entries(skips.summary()).map(([reason, n]) => `${n} ${reason}`).join(', ');
    const languages = options.languages?.length ? ` of ${options.languages.join(', ')}` : '';
    throw new UserError(`no snippets${languages} in ${source.spec}${skipped ? `: every record was skipped (${skipped})` : source.files.length === 0 ? ': no files of a supported language' : ': the input is empty'}`, {
      hint: skipped ? 'the warnings above name the files and lines; fix the input or pass another corpus' : 'pass a corpus with functions in python, java, javascript, go, php or ruby',
    });
  }
}

async function* readEverySnippet(source: CorpusSource, skips: SkipLog, options: CorpusOptions): AsyncGenerator<Snippet> {
  // a source tree's reader finds and reports its unreadable folders itself
  for (const { folder, code } of source.kind === 'source-tree' ? [] : source.unreadableFolders ?? []) {
    skips.skip({ file: relative(source.root, folder).split(sep).join('/') || folder, reason: 'unreadable-folder', detail: `the folder cannot be listed (${code}): its files are not in the corpus` });
  }
  const languages = options.languages?.length ? new Set(options.languages) : undefined;
  let doneBytes = 0;
  if (source.kind === 'source-tree') {
    const roots = source.spec === source.root || !hasGlob(source.spec) ? [source.root] : source.files;
    for (const root of roots) {
      yield* readSourceTree(root, skips, {
        languages,
        relativeTo: source.root,
        maxFileBytes: options.maxFileBytes,
        minLines: options.minLines ?? 2,
        maxChars: options.maxChars,
        onFile: (_path, bytes) => {
          doneBytes += bytes;
          options.onProgress?.(doneBytes, source.totalBytes);
        },
      });
    }
    return;
  }
  for (const file of source.files) {
    const base = doneBytes;
    try {
      await access(file, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (source.kind === 'jsonl') throw new UserError(`cannot read ${file}: ${code === 'EACCES' ? 'permission denied' : code}`, { hint: 'give the user running codegen-eval read access to it' });
      skips.skip({ file: relative(source.root, file).split(sep).join('/'), reason: 'unreadable-file', detail: `the file cannot be read (${code}): its records are not in the corpus` });
      continue;
    }
    // a single file is named by its base name, so that outputs do not depend on where the input lies
    const displayName = source.kind === 'jsonl' ? basename(file) : relative(source.root, file).split(sep).join('/');
    for await (const snippet of readJsonlSnippets(file, skips, {
      displayName,
      defaultLanguage: options.defaultLanguage,
      languages,
      maxLineBytes: options.maxLineBytes,
      onBytes: (b) => options.onProgress?.(base + b, source.totalBytes),
    })) {
      if (options.maxChars !== undefined && snippet.code.length > options.maxChars) {
        skips.skip({ file: displayName, line: snippet.provenance.record, reason: 'filtered-size', detail: `${snippet.code.length} characters is over --max-chars ${options.maxChars}` });
        continue;
      }
      yield snippet;
    }
    doneBytes = base + statSync(file).size;
  }
}

/** SHA-256 over the corpus files' names and contents, in order: the input hash in manifests. */
export async function hashCorpus(source: CorpusSource): Promise<string> {
  const { createReadStream } = await import('node:fs');
  const hash = createHash('sha256');
  const files = source.kind === 'source-tree' && source.files.length === 0 ? [] : source.files;
  for (const file of files) {
    hash.update(source.kind === 'jsonl' ? basename(file) : relative(source.root, file).split(sep).join('/'));
    hash.update('\0');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    hash.update('\0');
  }
  return hash.digest('hex');
}
