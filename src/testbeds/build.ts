/**
 * Building a testbed: stream a corpus, parse each snippet, apply an intervention (paired design) or an
 * observational treatment, measure covariates, and write `rows.jsonl` and `manifest.json`. The output
 * folder is written beside the target and swapped in at the end, so an interrupted build leaves the
 * previous testbed intact. Same input, options and seed give a byte-identical testbed: rows are in
 * corpus order, every random draw comes from a generator seeded by (seed, snippet id), and the
 * manifest holds no timestamps.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { hashCorpus, readCorpus, resolveCorpus, type CorpusOptions } from '../corpus/index.ts';
import { SkipLog } from '../corpus/skips.ts';
import type { Snippet } from '../corpus/types.ts';
import { taxonomyFor } from '../syntax/concepts.ts';
import { checkSplit, PerLanguageSample, type CorpusSplit } from '../corpus/select.ts';
import { COVARIATE_NAMES, computeCovariates } from '../syntax/covariates.ts';
import type { LanguageId } from '../languages/languages.ts';
import { getParser, parseWith } from '../languages/parser.ts';
import { replaceDirectory, writeFileAtomic } from '../util/atomic.ts';
import { checkOutputFolder, recoverInterruptedSwap } from '../util/outputs.ts';
import { UsageError, UserError } from '../util/errors.ts';
import type { JsonObject } from '../util/hocon.ts';
import { createRandom, deriveSeed } from '../util/random.ts';
import { TOOL_NAME, TOOL_VERSION } from '../util/version.ts';
import { findIntervention, findTreatment, resolveParams } from './registry.ts';
import type { Arm, Intervention, ObservationalTreatment, Params, TestbedRow } from './types.ts';
import { verifyTreated } from './verify.ts';

export const TESTBED_FORMAT = 'codegen-eval/testbed@1';

export interface BuildOptions extends Omit<CorpusOptions, 'onProgress'> {
  corpus: string;
  out: string;
  intervention?: string;
  treatment?: string;
  params?: Record<string, unknown>;
  /** Stop after this many pairs (interventions) or snippets (observational). */
  limit?: number;
  /** Take at most this many pairs (or snippets) per language: the first in corpus order. */
  limitPerLanguage?: number;
  /** A seeded random sample of this many pairs (or snippets) per language (corpus/select.ts), not the first. */
  sample?: number;
  seed?: number;
  /** How the manifest names the corpus (default: the spec as given); plans give the path as written. */
  sourceLabel?: string;
  /** Taxonomy files by language, when not the defaults in conf/concepts/. */
  taxonomies?: Partial<Record<LanguageId, string>>;
  onProgress?: (done: number, total: number, units: number) => void;
}

export interface TestbedManifest {
  format: typeof TESTBED_FORMAT;
  name: string;
  design: 'paired' | 'observational';
  treatment: { kind: 'intervention' | 'observational'; name: string; description: string; params: Params; preserves?: string; excludedCovariates?: string[] };
  source: { spec: string; kind: string; files: number; bytes: number; sha256: string };
  options: { languages: LanguageId[] | 'all'; limit: number | null; limitPerLanguage: number | null; sample: number | null; split: CorpusSplit | null; seed: number; partitions: string[] | 'all'; maxChars: number | null; minLines: number | null; taxonomies: Record<string, string> };
  counts: {
    snippetsRead: number;
    rows: number;
    pairs: number;
    treated: number;
    control: number;
    byLanguage: Record<string, { treated: number; control: number }>;
  };
  /** Snippets read but not used, by reason (no comments to remove, treated code does not parse, ...). */
  drops: Record<string, number>;
  /** Input records skipped as bad input, by reason. */
  corpusSkips: Record<string, number>;
  covariates: readonly string[];
  tool: { name: string; version: string };
}

export interface BuildResult {
  dir: string;
  manifest: TestbedManifest;
}

function pickDesign(options: BuildOptions): { intervention?: Intervention; treatment?: ObservationalTreatment; params: Params } {
  if (Boolean(options.intervention) === Boolean(options.treatment)) {
    throw new UsageError('give exactly one of --intervention NAME or --treatment NAME', 'list them with: codegen-eval testbed list');
  }
  if (options.intervention) {
    const intervention = findIntervention(options.intervention);
    if (!intervention) throw new UsageError(`unknown intervention '${options.intervention}'`, 'list them with: codegen-eval testbed list');
    return { intervention, params: resolveParams(intervention.name, intervention.params, options.params ?? {}) };
  }
  const treatment = findTreatment(options.treatment!);
  if (!treatment) throw new UsageError(`unknown treatment '${options.treatment}'`, 'list them with: codegen-eval testbed list');
  return { treatment, params: resolveParams(treatment.name, treatment.params, options.params ?? {}) };
}

function countDrop(drops: Map<string, number>, reason: string): void {
  drops.set(reason, (drops.get(reason) ?? 0) + 1);
}

export async function buildTestbed(options: BuildOptions): Promise<BuildResult> {
  const { intervention, treatment, params } = pickDesign(options);
  for (const [flag, v] of [['--limit', options.limit], ['--limit-per-lang', options.limitPerLanguage]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new UsageError(`${flag} must be a positive whole number`);
  }
  if (options.sample !== undefined && (options.limit !== undefined || options.limitPerLanguage !== undefined)) {
    throw new UsageError('--sample draws a random sample per language; it does not combine with --limit or --limit-per-lang (the first n)', 'use one of them');
  }
  if (options.split) checkSplit(options.split);
  const sample = options.sample !== undefined ? new PerLanguageSample<TestbedRow[]>(options.sample, options.seed ?? 0) : undefined;
  const perLanguage = new Map<string, number>();
  const perLanguageLimit = options.limitPerLanguage ?? Infinity;
  const seed = options.seed ?? 0;
  const outDirChecked = resolve(options.out);
  for (const note of await recoverInterruptedSwap(outDirChecked)) options.warn?.(note);
  checkOutputFolder(outDirChecked, { what: 'testbed', marker: 'manifest.json', formats: [TESTBED_FORMAT], inputs: [options.corpus], ownsFile: () => (f) => f === 'manifest.json' || f === 'rows.jsonl' });
  const source = await resolveCorpus(options.corpus, { partitions: options.partitions });
  const skips = new SkipLog({ strict: options.strict, warn: options.warn });
  const outDir = resolve(options.out);
  const tmpDir = join(dirname(outDir), `.${basename(outDir)}.building-${process.pid}`);
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  const rowsStream = createWriteStream(join(tmpDir, 'rows.jsonl'));
  let writeError: Error | undefined;
  rowsStream.on('error', (error) => (writeError ??= error));
  const write = async (row: TestbedRow) => {
    if (writeError) throw writeError;
    if (!rowsStream.write(`${JSON.stringify(row)}\n`)) await once(rowsStream, 'drain');
  };
  const drops = new Map<string, number>();
  const byLanguage: Record<string, { treated: number; control: number }> = {};
  const tally = (language: string, arm: Arm) => {
    byLanguage[language] ??= { treated: 0, control: 0 };
    byLanguage[language][arm]++;
  };
  let snippetsRead = 0;
  let units = 0;
  let rows = 0;
  const limit = options.limit ?? Infinity;
  const name = basename(outDir);
  try {
    for await (const snippet of readCorpus(source, skips, {
      ...options,
      onProgress: (done, total) => options.onProgress?.(done, total, units),
    })) {
      if (units >= limit) break;
      if ((perLanguage.get(snippet.language) ?? 0) >= perLanguageLimit) continue;
      snippetsRead++;
      const priority = sample?.priority(snippet) ?? 0;
      if (sample && !sample.wouldKeep(snippet.language, priority)) continue; // not in the sample: no work
      const made = intervention
        ? await pairFor(snippet, intervention, params, seed, options.taxonomies, drops)
        : await observationFor(snippet, treatment!, params, options.taxonomies, drops);
      if (!made) continue;
      if (sample) {
        sample.offer(snippet.language, priority, made);
        continue;
      }
      for (const row of made) {
        await write(row);
        tally(row.language, row.arm);
        rows++;
      }
      units++;
      perLanguage.set(snippet.language, (perLanguage.get(snippet.language) ?? 0) + 1);
    }
    for (const made of sample?.take() ?? []) {
      for (const row of made) {
        await write(row);
        tally(row.language, row.arm);
        rows++;
      }
      units++;
    }
    rowsStream.end();
    await finished(rowsStream);
  } catch (error) {
    rowsStream.destroy();
    await rm(tmpDir, { recursive: true, force: true });
    throw error;
  }
  if (rows === 0) {
    await rm(tmpDir, { recursive: true, force: true });
    const why = [...drops].map(([reason, n]) => `${n} ${reason}`).join('; ');
    throw new UserError(`no testbed rows from ${options.corpus}: ${snippetsRead} snippets read${why ? `, dropped: ${why}` : ''}; nothing was written to ${outDir}`, {
      hint: snippetsRead === 0 ? 'check the corpus path (codegen-eval corpus stats --corpus ...) and --lang; a glob must be quoted so the shell does not expand it' : 'choose an intervention or treatment that applies to this code, or a larger corpus',
    });
  }
  const treatedCount = Object.values(byLanguage).reduce((s, c) => s + c.treated, 0);
  const controlCount = Object.values(byLanguage).reduce((s, c) => s + c.control, 0);
  const manifest: TestbedManifest = {
    format: TESTBED_FORMAT,
    name,
    design: intervention ? 'paired' : 'observational',
    treatment: intervention
      ? { kind: 'intervention', name: intervention.name, description: intervention.description, params, preserves: intervention.preserves }
      : { kind: 'observational', name: treatment!.name, description: treatment!.description, params, excludedCovariates: [...treatment!.excludedCovariates] },
    source: { spec: options.sourceLabel ?? options.corpus, kind: source.kind, files: source.files.length, bytes: source.totalBytes, sha256: await hashCorpus(source) },
    options: {
      languages: options.languages?.length ? [...options.languages] : 'all',
      limit: options.limit ?? null,
      limitPerLanguage: options.limitPerLanguage ?? null,
      sample: options.sample ?? null,
      split: options.split ?? null,
      seed,
      partitions: options.partitions?.length ? [...options.partitions] : 'all',
      maxChars: options.maxChars ?? null,
      minLines: options.minLines ?? null,
      taxonomies: { ...(options.taxonomies ?? {}) },
    },
    counts: { snippetsRead, rows, pairs: intervention ? units : 0, treated: treatedCount, control: controlCount, byLanguage: sortKeys(byLanguage) },
    drops: sortKeys(Object.fromEntries(drops)),
    corpusSkips: skips.summary(),
    covariates: COVARIATE_NAMES,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
  };
  await writeFileAtomic(join(tmpDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await mkdir(dirname(outDir), { recursive: true });
  await replaceDirectory(tmpDir, outDir);
  return { dir: outDir, manifest };
}

function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Parse a snippet for a treatment defined on some languages; undefined (with a counted drop) for the others. */
async function prepare(snippet: Snippet, languages: readonly LanguageId[], taxonomies: BuildOptions['taxonomies'], drops: Map<string, number>) {
  if (!languages.includes(snippet.language)) {
    countDrop(drops, `not defined for ${snippet.language}`);
    return undefined;
  }
  const parser = await getParser(snippet.language);
  const tree = parseWith(parser, snippet.language, snippet.code);
  const taxonomy = await taxonomyFor(snippet.language, taxonomies?.[snippet.language]);
  return { parser, tree, taxonomy };
}

async function pairFor(
  snippet: Snippet,
  intervention: Intervention,
  params: Params,
  seed: number,
  taxonomies: BuildOptions['taxonomies'],
  drops: Map<string, number>,
): Promise<TestbedRow[] | undefined> {
  const prepared = await prepare(snippet, intervention.languages, taxonomies, drops);
  if (!prepared) return undefined;
  const { parser, tree, taxonomy } = prepared;
  const random = createRandom(deriveSeed(seed, snippet.id));
  const outcome = intervention.apply({ snippet, tree, taxonomy, params, random, parse: (code) => parseWith(parser, snippet.language, code) });
  if (!outcome.ok) {
    countDrop(drops, outcome.reason);
    return undefined;
  }
  const controlCode = outcome.control ?? snippet.code;
  const controlTree = outcome.control === undefined ? tree : parseWith(parser, snippet.language, controlCode);
  const treatedTree = parseWith(parser, snippet.language, outcome.treated);
  const failure = verifyTreated(intervention, tree, treatedTree);
  if (failure) {
    countDrop(drops, failure);
    return undefined;
  }
  const base = { pairId: snippet.id, language: snippet.language, provenance: snippet.provenance, fields: snippet.fields };
  const control: TestbedRow = { id: `${snippet.id}#control`, ...base, arm: 'control', code: controlCode, covariates: computeCovariates(controlTree), meta: controlMeta(outcome.meta) };
  const treated: TestbedRow = { id: `${snippet.id}#treated`, ...base, arm: 'treated', code: outcome.treated, covariates: computeCovariates(treatedTree), meta: outcome.meta };
  return [orderRow(control), orderRow(treated)];
}

/** The control row carries only what describes the control arm (a random-mask control's spans). */
function controlMeta(meta: JsonObject): JsonObject {
  return meta.controlMasked !== undefined ? { masked: meta.controlMasked } : {};
}

async function observationFor(
  snippet: Snippet,
  treatment: ObservationalTreatment,
  params: Params,
  taxonomies: BuildOptions['taxonomies'],
  drops: Map<string, number>,
): Promise<TestbedRow[] | undefined> {
  const prepared = await prepare(snippet, treatment.languages, taxonomies, drops);
  if (!prepared) return undefined;
  const { tree, taxonomy } = prepared;
  const covariates = computeCovariates(tree);
  const arm: Arm = treatment.assign({ snippet, tree, taxonomy, covariates, params }) ? 'treated' : 'control';
  return [orderRow({ id: snippet.id, pairId: null, arm, language: snippet.language, code: snippet.code, covariates, meta: {}, provenance: snippet.provenance, fields: snippet.fields })];
}

/** Fixed key order (and no undefined values) so rows serialise identically every time. */
function orderRow(row: TestbedRow): TestbedRow {
  const provenance = Object.fromEntries(Object.entries(row.provenance).filter(([, v]) => v !== undefined)) as TestbedRow['provenance'];
  const out: TestbedRow = {
    id: row.id,
    pairId: row.pairId,
    arm: row.arm,
    language: row.language,
    code: row.code,
    covariates: row.covariates,
    meta: row.meta,
    provenance,
  };
  if (row.fields && Object.keys(row.fields).length > 0) out.fields = row.fields;
  return out;
}
