/**
 * What a model was trained on, kept in its folder (`training-corpus.json`), so that a report can
 * tell when the functions it tests on were in the model's training data: a model scored on code it
 * was trained on measures memorisation, not generalisation (Allamanis 2019). The record holds the
 * corpus as given, its SHA-256, the split rule, and a 64-bit prefix of the SHA-256 of every training
 * snippet's code (exact text), sorted, so the check works without the corpus at hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashCorpus, readCorpus, resolveCorpus, SkipLog, type CorpusOptions } from '../corpus/index.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { splitOf } from './data.ts';
import { codeHash } from '../corpus/select.ts';

export const TRAINING_CORPUS_FILE = 'training-corpus.json';
export const TRAINING_CORPUS_FORMAT = 'codegen-eval/training-corpus@1';

export interface TrainingCorpusRecord {
  format: typeof TRAINING_CORPUS_FORMAT;
  corpus: { spec: string; sha256: string };
  split: { part: 'train'; validFraction: number; languages: string[]; maxSnippets: number | null };
  snippets: number;
  /** Sorted 16-hex-digit prefixes of sha256(code) of the training snippets. */
  codeHashes: string[];
}

export async function recordTrainingCorpus(out: string, options: { corpus: string; validFraction: number; languages?: CorpusOptions['languages']; maxSnippets?: number | null; warn?: (m: string) => void }): Promise<TrainingCorpusRecord> {
  const source = await resolveCorpus(options.corpus);
  const hashes = new Set<string>();
  let taken = 0;
  for await (const snippet of readCorpus(source, new SkipLog({ warn: options.warn }), { languages: options.languages })) {
    if (splitOf(snippet, options.validFraction) !== 'train') continue;
    if (options.maxSnippets && taken >= options.maxSnippets) break;
    taken++;
    hashes.add(codeHash(snippet.code));
  }
  const record: TrainingCorpusRecord = {
    format: TRAINING_CORPUS_FORMAT,
    corpus: { spec: options.corpus, sha256: await hashCorpus(source) },
    split: { part: 'train', validFraction: options.validFraction, languages: [...(options.languages ?? [])], maxSnippets: options.maxSnippets ?? null },
    snippets: taken,
    codeHashes: [...hashes].sort(),
  };
  await writeFileAtomic(join(out, TRAINING_CORPUS_FILE), `${JSON.stringify(record)}\n`);
  return record;
}

/** The record of a model folder, or null when it has none; a record that cannot be read exactly is an error. */
export function readTrainingCorpus(dir: string): TrainingCorpusRecord | null {
  const file = join(dir, TRAINING_CORPUS_FILE);
  if (!existsSync(file)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: not valid JSON: ${(error as Error).message}`, { hint: `delete it to skip the training-data check, or rewrite it: it is written by codegen-eval train` });
  }
  const r = value as Partial<TrainingCorpusRecord>;
  if (r.format !== TRAINING_CORPUS_FORMAT || !Array.isArray(r.codeHashes) || r.codeHashes.some((h) => typeof h !== 'string' || !/^[0-9a-f]{16}$/.test(h)) || typeof r.corpus?.spec !== 'string' || typeof r.snippets !== 'number') {
    throw new UserError(`${file}: not a ${TRAINING_CORPUS_FORMAT} record (format, corpus.spec, snippets and 16-hex-digit codeHashes are required)`, { hint: 'delete it to skip the training-data check, or retrain: codegen-eval train writes it' });
  }
  return r as TrainingCorpusRecord;
}
