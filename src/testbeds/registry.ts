import { UsageError } from '../util/errors.ts';
import { dropTypeAnnotations } from './interventions/dropTypeAnnotations.ts';
import { injectBug } from './interventions/injectBug.ts';
import { maskNode } from './interventions/maskNode.ts';
import { reformatWhitespace } from './interventions/reformatWhitespace.ts';
import { removeComments } from './interventions/removeComments.ts';
import { renameIdentifiers } from './interventions/renameIdentifiers.ts';
import { OBSERVATIONAL_TREATMENTS } from './treatments.ts';
import type { Intervention, ObservationalTreatment, ParamSpec, Params, ParamValue } from './types.ts';

export const INTERVENTIONS: readonly Intervention[] = [removeComments, renameIdentifiers, injectBug, maskNode, dropTypeAnnotations, reformatWhitespace];

export function findIntervention(name: string): Intervention | undefined {
  return INTERVENTIONS.find((i) => i.name === name);
}

export function findTreatment(name: string): ObservationalTreatment | undefined {
  return OBSERVATIONAL_TREATMENTS.find((t) => t.name === name);
}

/**
 * Parameters from `key=value` strings (CLI) or a plain object (config), checked against the specs:
 * unknown names, wrong types and values outside `choices` are usage errors naming the parameter.
 */
export function resolveParams(owner: string, specs: readonly ParamSpec[], given: Record<string, unknown>): Params {
  const out: Params = {};
  for (const name of Object.keys(given)) {
    if (!specs.some((s) => s.name === name)) {
      const known = specs.map((s) => s.name).join(', ') || 'none';
      throw new UsageError(`${owner} has no parameter '${name}' (parameters: ${known})`);
    }
  }
  for (const spec of specs) {
    const raw = given[spec.name];
    if (raw === undefined) {
      if (spec.required) throw new UsageError(`${owner} needs --param ${spec.name}=...: ${spec.description}`);
      if (spec.default !== undefined) out[spec.name] = spec.default;
      continue;
    }
    out[spec.name] = coerce(owner, spec, raw);
  }
  return out;
}

function coerce(owner: string, spec: ParamSpec, raw: unknown): ParamValue {
  const bad = (why: string) => new UsageError(`${owner} parameter '${spec.name}': ${why}`);
  switch (spec.type) {
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(n)) throw bad(`expected a number, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'yes' || raw === '1') return true;
      if (raw === 'false' || raw === 'no' || raw === '0') return false;
      throw bad(`expected true or false, got ${JSON.stringify(raw)}`);
    }
    case 'string[]': {
      const list = Array.isArray(raw) ? raw.map(String) : String(raw).split(',').map((s) => s.trim()).filter(Boolean);
      if (spec.choices) for (const v of list) if (!spec.choices.includes(v)) throw bad(`'${v}' is not one of ${spec.choices.join(', ')}`);
      return list;
    }
    case 'string': {
      const v = String(raw);
      if (spec.choices && !spec.choices.includes(v)) throw bad(`'${v}' is not one of ${spec.choices.join(', ')}`);
      return v;
    }
  }
}

/** Parse `--param key=value` pairs. */
export function parseParamPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects key=value, got '${pair}'`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}
