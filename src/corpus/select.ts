/**
 * Selecting snippets from a corpus without bias from its order:
 * - a split by file or by repository: every snippet of one file (or one repository) falls in the
 *   same named part, by a seeded hash of the file's (repository's) name, so a model trained on one
 *   part never sees a file of another (Allamanis 2019, "The adverse effects of code duplication in
 *   machine learning models of code": splits by function leak near-duplicates across parts);
 * - a seeded random sample of n snippets per language: the n with the smallest seeded hash of their
 *   id (a bottom-k sample, Cohen & Kaplan 2007), which is a uniform sample without replacement that
 *   does not depend on the order the corpus is read in, kept in O(n) memory.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../util/errors.ts';
import type { Snippet } from './types.ts';

export interface CorpusSplit {
  by: 'file' | 'repo';
  parts: { name: string; fraction: number }[];
  /** The part to read. */
  take: string;
  seed: number;
}

/** A seeded hash of a key, uniform in [0, 1): the first 48 bits of SHA-256 over "seed \0 key". */
export function hashUnit(seed: number, key: string): number {
  const digest = createHash('sha256').update(`${seed}\u0000${key}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** `train=0.8,test=0.2`: names and fractions that sum to 1. */
export function parseSplitParts(spec: string): CorpusSplit['parts'] {
  const parts = spec.split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
    const match = /^([A-Za-z][\w-]*)=([0-9.]+)$/.exec(p);
    if (!match) throw new UsageError(`--split: '${p}' is not NAME=FRACTION`, 'write e.g. --split train=0.8,test=0.2');
    const fraction = Number(match[2]);
    if (!(fraction > 0 && fraction <= 1)) throw new UsageError(`--split: the fraction of ${match[1]} must lie in (0, 1], got ${match[2]}`);
    return { name: match[1], fraction };
  });
  if (parts.length < 2) throw new UsageError('--split needs at least two parts', 'write e.g. --split train=0.8,test=0.2');
  const names = parts.map((p) => p.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`--split names the part '${dup}' twice`);
  const total = parts.reduce((s, p) => s + p.fraction, 0);
  if (Math.abs(total - 1) > 1e-9) throw new UsageError(`--split: the fractions sum to ${total}, not 1`, 'make them add up to 1, e.g. train=0.8,test=0.2');
  return parts;
}

export function checkSplit(split: CorpusSplit): void {
  if (!split.parts.some((p) => p.name === split.take)) throw new UsageError(`--take ${split.take} is not a part of --split (${split.parts.map((p) => p.name).join(', ')})`);
}

/** The unit a split keeps together: the file (with its repository), or the repository. */
export function splitUnit(snippet: Snippet, by: CorpusSplit['by']): string {
  const p = snippet.provenance;
  const file = p.path ?? p.file;
  // a source tree has no repository field: its first folder stands for the repository
  const repo = p.repo ?? (file.includes('/') ? file.slice(0, file.indexOf('/')) : file);
  return by === 'repo' ? repo : `${p.repo ?? ''}\u0000${file}`;
}

/** The name of the part a snippet falls in. */
export function splitPart(snippet: Snippet, split: CorpusSplit): string {
  const u = hashUnit(split.seed, splitUnit(snippet, split.by));
  let cumulative = 0;
  for (const part of split.parts) {
    cumulative += part.fraction;
    if (u < cumulative) return part.name;
  }
  return split.parts[split.parts.length - 1].name;
}

/**
 * A bottom-k sample per language: offer items with their snippet; `take()` gives the kept items in
 * the order they were offered. Memory: k items per language.
 */
export class PerLanguageSample<T> {
  private readonly kept = new Map<string, { priority: number; order: number; item: T }[]>();
  private offered = 0;

  constructor(private readonly size: number, private readonly seed: number) {
    if (!(Number.isInteger(size) && size > 0)) throw new UsageError('--sample must be a positive whole number');
  }

  /** The sampling priority of a snippet: lower is kept. */
  priority(snippet: Snippet): number {
    return hashUnit(this.seed, `sample\u0000${snippet.id}`);
  }

  /** Would a snippet of this priority be kept now? (Lets callers skip work on snippets that would not.) */
  wouldKeep(language: string, priority: number): boolean {
    const list = this.kept.get(language);
    return !list || list.length < this.size || priority < list[list.length - 1].priority;
  }

  offer(language: string, priority: number, item: T): void {
    const order = this.offered++;
    const list = this.kept.get(language) ?? [];
    if (list.length >= this.size && priority >= list[list.length - 1].priority) return;
    // sorted by priority; k is small next to the corpus, so insertion is cheap enough
    let i = list.length;
    while (i > 0 && list[i - 1].priority > priority) i--;
    list.splice(i, 0, { priority, order, item });
    if (list.length > this.size) list.pop();
    this.kept.set(language, list);
  }

  take(): T[] {
    return [...this.kept.values()].flat().sort((a, b) => a.order - b.order).map((e) => e.item);
  }
}

/** A snippet's code as a 64-bit hash (16 hex digits of SHA-256 over the exact text): what training records keep. */
export function codeHash(code: string): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 16);
}
