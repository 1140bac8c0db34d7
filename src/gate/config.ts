/** Gate rules from HOCON (`conf/gate.conf` documents every key and its default). */
import { ConfigError } from '../util/errors.ts';
import { readHoconFile, type JsonValue } from '../util/hocon.ts';
import { DEFAULT_RULES, type GateMetric, type GateRules } from './gate.ts';

export const METRICS: readonly GateMetric[] = ['logprob', 'top1', 'cross-entropy'];

export function loadGateConfig(file: string | undefined): { rules: GateRules; testbeds: string[] } {
  const rules: GateRules = { ...DEFAULT_RULES, margins: {} };
  let testbeds: string[] = [];
  if (!file) return { rules, testbeds };
  const doc = readHoconFile(file);
  const where = (key: string) => doc.origins.get(key) ?? { file };
  for (const key of Object.keys(doc.value)) if (key !== 'gate') throw new ConfigError(`unknown section '${key}' (the only section is 'gate')`, where(key));
  const section = doc.value.gate;
  if (section === undefined) return { rules, testbeds };
  if (!section || typeof section !== 'object' || Array.isArray(section)) throw new ConfigError("'gate' must be an object", where('gate'));
  const strings = (path: string, v: JsonValue): string[] => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ConfigError(`'${path}' must be a list of names`, where(path));
    return v as string[];
  };
  const number = (path: string, v: JsonValue, ok: (n: number) => boolean, what: string): number => {
    if (typeof v !== 'number' || !ok(v)) throw new ConfigError(`'${path}' must be ${what}`, where(path));
    return v;
  };
  for (const [key, value] of Object.entries(section)) {
    const path = `gate.${key}`;
    switch (key) {
      case 'metric':
        if (typeof value !== 'string' || !METRICS.includes(value as GateMetric)) throw new ConfigError(`'${path}' must be one of ${METRICS.join(', ')}`, where(path));
        rules.metric = value as GateMetric;
        break;
      case 'margin': rules.margin = number(path, value, (n) => n >= 0, 'a number >= 0'); break;
      case 'alpha': rules.alpha = number(path, value, (n) => n > 0 && n < 1, 'between 0 and 1'); break;
      case 'minSnippets': rules.minSnippets = number(path, value, (n) => Number.isInteger(n) && n >= 2, 'a whole number >= 2'); break;
      case 'minTokens': rules.minTokens = number(path, value, (n) => Number.isInteger(n) && n >= 0, 'a whole number >= 0'); break;
      case 'bootstrap': rules.bootstrapReplicates = number(path, value, (n) => Number.isInteger(n) && n >= 100, 'a whole number >= 100'); break;
      case 'seed': rules.seed = number(path, value, Number.isInteger, 'a whole number'); break;
      case 'ignore': rules.ignore = strings(path, value); break;
      case 'testbeds': testbeds = strings(path, value); break;
      case 'concepts':
        rules.concepts = value === 'all' ? 'all' : strings(path, value);
        break;
      case 'margins':
        if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`'${path}' must be an object of concept = margin`, where(path));
        for (const [concept, m] of Object.entries(value)) rules.margins[concept] = number(`${path}.${concept}`, m, (n) => n >= 0, 'a number >= 0');
        break;
      default:
        throw new ConfigError(`unknown key '${path}' (keys: metric, margin, margins, alpha, concepts, ignore, minSnippets, minTokens, bootstrap, seed, testbeds)`, where(path));
    }
  }
  return { rules, testbeds };
}
