/**
 * Training configuration: HOCON files in conf/ (includes and substitutions allowed, remote includes
 * refused), `--set key.path=value` overrides, then validation against a schema that coerces numbers
 * given as strings and names the key (and its file:line) of any bad value. The effective config is
 * saved with each run.
 */
import { ConfigError } from '../util/errors.ts';
import { parseHocon, readHoconFile, type JsonObject, type JsonValue } from '../util/hocon.ts';
import type { SourceLocation } from '../util/errors.ts';
import { BACKENDS, type BackendName } from './backend.ts';

export interface ModelConfig {
  type: 'gpt' | 'gru' | 'lstm';
  context: number;
  dropout: number;
  // gpt
  layers: number;
  heads: number;
  width: number;
  tiedEmbeddings: boolean;
  // rnn
  embedding: number;
  units: number;
}

export interface TrainConfig {
  model: ModelConfig;
  tokenizer: { vocabSize: number; minFrequency: number; path: string | null };
  data: { validFraction: number; languages: string[]; maxSnippets: number | null };
  train: {
    batchSize: number; lr: number; minLr: number; weightDecay: number; beta1: number; beta2: number; eps: number;
    warmupSteps: number; maxSteps: number; maxMinutes: number | null; clip: number; evalEvery: number; evalBatches: number; patience: number;
    seed: number; checkpointEvery: number; keepLast: number; backend: BackendName;
  };
}

type Kind = 'int' | 'number' | 'bool' | 'string' | 'string|null' | 'int|null' | 'number|null' | 'string[]' | readonly string[];
interface Field { kind: Kind; default: JsonValue; min?: number; max?: number }

export const SCHEMA: Record<string, Record<string, Field>> = {
  model: {
    type: { kind: ['gpt', 'gru', 'lstm'], default: 'gpt' },
    context: { kind: 'int', default: 128, min: 2, max: 65536 },
    dropout: { kind: 'number', default: 0, min: 0, max: 0.95 },
    layers: { kind: 'int', default: 2, min: 1, max: 1024 },
    heads: { kind: 'int', default: 4, min: 1, max: 1024 },
    width: { kind: 'int', default: 128, min: 2, max: 65536 },
    tiedEmbeddings: { kind: 'bool', default: true },
    embedding: { kind: 'int', default: 256, min: 2, max: 65536 },
    units: { kind: 'int', default: 512, min: 2, max: 65536 },
  },
  tokenizer: {
    vocabSize: { kind: 'int', default: 4096, min: 258, max: 1048576 },
    minFrequency: { kind: 'int', default: 2, min: 1 },
    path: { kind: 'string|null', default: null },
  },
  data: {
    validFraction: { kind: 'number', default: 0.05, min: 0, max: 0.5 },
    languages: { kind: 'string[]', default: [] },
    maxSnippets: { kind: 'int|null', default: null },
  },
  train: {
    batchSize: { kind: 'int', default: 16, min: 1, max: 65536 },
    lr: { kind: 'number', default: 3e-4, min: 0 },
    minLr: { kind: 'number', default: 3e-5, min: 0 },
    weightDecay: { kind: 'number', default: 0.1, min: 0 },
    beta1: { kind: 'number', default: 0.9, min: 0, max: 1 },
    beta2: { kind: 'number', default: 0.95, min: 0, max: 1 },
    eps: { kind: 'number', default: 1e-8, min: 0 },
    warmupSteps: { kind: 'int', default: 100, min: 0 },
    maxSteps: { kind: 'int', default: 2000, min: 1 },
    maxMinutes: { kind: 'number|null', default: null, min: 0 },
    clip: { kind: 'number', default: 1, min: 0 },
    evalEvery: { kind: 'int', default: 200, min: 1 },
    evalBatches: { kind: 'int', default: 20, min: 1 },
    patience: { kind: 'int', default: 5, min: 1 },
    seed: { kind: 'int', default: 0 },
    checkpointEvery: { kind: 'int', default: 200, min: 1 },
    keepLast: { kind: 'int', default: 3, min: 1 },
    backend: { kind: BACKENDS, default: 'auto' },
  },
};

function coerce(path: string, field: Field, value: JsonValue, where: SourceLocation | undefined): JsonValue {
  const bad = (what: string) => new ConfigError(`'${path}' ${what}, got ${JSON.stringify(value)}`, where);
  const { kind } = field;
  if (Array.isArray(kind)) {
    if (typeof value !== 'string' || !kind.includes(value)) throw bad(`must be one of ${kind.join(', ')}`);
    return value;
  }
  if (kind === 'bool') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw bad('must be true or false');
  }
  if ((kind === 'string|null' || kind === 'int|null' || kind === 'number|null') && (value === null || value === 'null')) return null;
  if (kind === 'string' || kind === 'string|null') {
    if (typeof value !== 'string') throw bad('must be a string');
    return value;
  }
  if (kind === 'string[]') {
    const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : null;
    if (!list || list.some((v) => typeof v !== 'string')) throw bad('must be a list of strings');
    return list;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw bad('must be a number');
  if ((kind === 'int' || kind === 'int|null') && !Number.isInteger(n)) throw bad('must be a whole number');
  if (field.min !== undefined && n < field.min) throw bad(`must be at least ${field.min}`);
  if (field.max !== undefined && n > field.max) throw bad(`must be at most ${field.max}`);
  return n;
}

/** Set a dotted path in a plain object (creating objects on the way). */
function setPath(obj: JsonObject, path: string, value: JsonValue): void {
  const parts = path.split('.');
  let cur: JsonObject = obj;
  for (const p of parts.slice(0, -1)) {
    if (!cur[p] || typeof cur[p] !== 'object' || Array.isArray(cur[p])) cur[p] = {};
    cur = cur[p] as JsonObject;
  }
  cur[parts[parts.length - 1]] = value;
}

/** Validate a raw config object (from HOCON plus overrides) against the schema, filling defaults. */
export function validateConfig(raw: JsonObject, origins: Map<string, SourceLocation> = new Map(), file = '<config>'): TrainConfig {
  const out: Record<string, Record<string, JsonValue>> = {};
  for (const [section, value] of Object.entries(raw)) {
    if (!(section in SCHEMA)) throw new ConfigError(`unknown section '${section}' (sections: ${Object.keys(SCHEMA).join(', ')})`, origins.get(section) ?? { file });
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`'${section}' must be an object`, origins.get(section) ?? { file });
    for (const key of Object.keys(value)) {
      if (!(key in SCHEMA[section])) throw new ConfigError(`unknown key '${section}.${key}' (keys: ${Object.keys(SCHEMA[section]).join(', ')})`, origins.get(`${section}.${key}`) ?? { file });
    }
  }
  for (const [section, fields] of Object.entries(SCHEMA)) {
    out[section] = {};
    const given = (raw[section] ?? {}) as JsonObject;
    for (const [key, field] of Object.entries(fields)) {
      const path = `${section}.${key}`;
      out[section][key] = key in given ? coerce(path, field, given[key], origins.get(path) ?? { file }) : field.default;
    }
  }
  const config = out as unknown as TrainConfig;
  if (config.model.type === 'gpt' && config.model.width % config.model.heads !== 0) {
    throw new ConfigError(`'model.width' (${config.model.width}) must be a multiple of 'model.heads' (${config.model.heads})`, origins.get('model.width') ?? { file });
  }
  if (config.train.minLr > config.train.lr) throw new ConfigError("'train.minLr' must not exceed 'train.lr'", origins.get('train.minLr') ?? { file });
  return config;
}

/** Read a config file (or none: defaults), apply `key.path=value` overrides, validate. */
export function loadTrainConfig(file: string | undefined, overrides: readonly string[] = []): TrainConfig {
  const doc = file ? readHoconFile(file) : parseHocon('', '<defaults>');
  return applyOverrides(doc.value, doc.origins, overrides, file ?? '<defaults>');
}

/** A saved config (config.json of a run) with `key.path=value` overrides applied, validated. */
export function loadTrainConfigFrom(saved: TrainConfig, overrides: readonly string[]): TrainConfig {
  return applyOverrides(JSON.parse(JSON.stringify(saved)) as JsonObject, new Map(), overrides, 'config.json');
}

function applyOverrides(raw: JsonObject, origins: Map<string, SourceLocation>, overrides: readonly string[], file: string): TrainConfig {
  const doc = { value: raw, origins };
  for (const pair of overrides) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key.path=value, got '${pair}'`);
    const key = pair.slice(0, eq).trim();
    const text = pair.slice(eq + 1);
    let value: JsonValue;
    try {
      value = parseHocon(`v = ${text}`, `--set ${key}`).value.v ?? null;
    } catch {
      value = text; // not a HOCON value (e.g. python,go): the schema coerces the plain string
    }
    setPath(raw, key, value);
    doc.origins.set(key, { file: `--set ${key}` });
    // an unknown section or key is blamed on the flag that named it
    const section = key.split('.')[0];
    if (!doc.origins.has(section)) doc.origins.set(section, { file: `--set ${key}` });
  }
  return validateConfig(raw, doc.origins, file);
}
