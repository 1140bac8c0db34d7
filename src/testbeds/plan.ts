/**
 * A testbed plan (conf/testbeds.conf): a corpus and named testbeds to build from it. The shipped plan
 * makes the default testbeds in testbeds/; users write their own for their corpora.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { normalizeLanguage, type LanguageId } from '../languages/languages.ts';
import { ConfigError } from '../util/errors.ts';
import { readHoconFile, type JsonObject, type JsonValue } from '../util/hocon.ts';
import { packagePath } from '../util/paths.ts';
import { buildTestbed, type BuildResult } from './build.ts';

export interface PlannedTestbed {
  name: string;
  intervention?: string;
  treatment?: string;
  params: Record<string, JsonValue>;
  languages?: LanguageId[];
  limit?: number;
  limitPerLanguage?: number;
  seed: number;
}

export interface TestbedPlan {
  file: string;
  corpus: string;
  /** The corpus path as written in the plan (recorded in manifests, so they do not depend on where the repo lies). */
  corpusLabel: string;
  testbeds: PlannedTestbed[];
}

export const DEFAULT_PLAN = packagePath('conf', 'testbeds.conf');
const KEYS = new Set(['intervention', 'treatment', 'params', 'languages', 'limit', 'limitPerLanguage', 'seed']);

export function readTestbedPlan(file = DEFAULT_PLAN, baseDir = file === DEFAULT_PLAN ? packagePath() : process.cwd()): TestbedPlan {
  const { value, origins } = readHoconFile(file);
  const at = (path: string) => origins.get(path) ?? { file };
  if (typeof value.corpus !== 'string') throw new ConfigError("'corpus' must be a path", at('corpus'));
  const corpus = isAbsolute(value.corpus) ? value.corpus : resolve(baseDir, value.corpus);
  const seed = value.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new ConfigError("'seed' must be a whole number", at('seed'));
  const entries = value.testbeds;
  if (!entries || typeof entries !== 'object' || Array.isArray(entries)) throw new ConfigError("'testbeds' must be an object of named testbeds", at('testbeds'));
  const testbeds = Object.entries(entries).map(([name, raw]): PlannedTestbed => {
    const path = `testbeds.${name}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`testbed '${name}' must be an object`, at(path));
    const entry = raw as JsonObject;
    for (const key of Object.keys(entry)) if (!KEYS.has(key)) throw new ConfigError(`unknown key '${key}' in testbed '${name}' (keys: ${[...KEYS].join(', ')})`, at(`${path}.${key}`));
    const str = (k: string) => (entry[k] === undefined ? undefined : typeof entry[k] === 'string' ? (entry[k] as string) : (() => { throw new ConfigError(`'${k}' must be a string`, at(`${path}.${k}`)); })());
    const positive = (k: 'limit' | 'limitPerLanguage') => {
      const v = entry[k];
      if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v > 0)) throw new ConfigError(`'${k}' must be a positive whole number`, at(`${path}.${k}`));
      return v as number | undefined;
    };
    const limit = positive('limit');
    const limitPerLanguage = positive('limitPerLanguage');
    const languages = entry.languages === undefined ? undefined : (Array.isArray(entry.languages) ? entry.languages : [entry.languages]).map((l, k) => {
      const id = typeof l === 'string' ? normalizeLanguage(l) : undefined;
      if (!id) throw new ConfigError(`'${String(l)}' is not a language`, at(`${path}.languages[${k}]`));
      return id;
    });
    const params = entry.params ?? {};
    if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new ConfigError("'params' must be an object", at(`${path}.params`));
    const ownSeed = entry.seed ?? seed;
    if (typeof ownSeed !== 'number') throw new ConfigError("'seed' must be a number", at(`${path}.seed`));
    return { name, intervention: str('intervention'), treatment: str('treatment'), params: params as Record<string, JsonValue>, languages, limit, limitPerLanguage, seed: ownSeed };
  });
  return { file, corpus, corpusLabel: value.corpus, testbeds };
}

/** Build every testbed of a plan into `outDir/NAME`. */
export async function buildPlan(plan: TestbedPlan, outDir: string, options: { warn?: (m: string) => void; only?: string[] } = {}): Promise<BuildResult[]> {
  const results: BuildResult[] = [];
  for (const t of plan.testbeds) {
    if (options.only && !options.only.includes(t.name)) continue;
    results.push(await buildTestbed({
      corpus: plan.corpus,
      sourceLabel: plan.corpusLabel,
      out: join(outDir, t.name),
      intervention: t.intervention,
      treatment: t.treatment,
      params: t.params,
      languages: t.languages,
      limit: t.limit,
      limitPerLanguage: t.limitPerLanguage,
      seed: t.seed,
      warn: options.warn,
    }));
  }
  return results;
}
