import type { Snippet } from '../corpus/types.ts';
import type { LanguageId } from '../languages/languages.ts';
import type { FlatTree } from '../languages/parser.ts';
import type { ConceptTaxonomy } from '../syntax/concepts.ts';
import type { Covariates } from '../syntax/covariates.ts';
import type { JsonObject, JsonValue } from '../util/hocon.ts';
import type { Random } from '../util/random.ts';

export type ParamValue = string | number | boolean | string[];
export type Params = Record<string, ParamValue>;

export interface ParamSpec {
  name: string;
  type: 'string' | 'number' | 'boolean' | 'string[]';
  default?: ParamValue;
  required?: boolean;
  description: string;
  choices?: readonly string[];
}

export interface InterventionInput {
  snippet: Snippet;
  tree: FlatTree;
  taxonomy: ConceptTaxonomy;
  params: Params;
  random: Random;
  /** Parse code of the snippet's language, for interventions that check or adapt their own output. */
  parse: (code: string) => FlatTree;
}

/** What an intervention makes of one snippet: the pair's two versions and what it did, or why it could not. */
export type InterventionOutcome =
  | { ok: true; control?: string; treated: string; meta: JsonObject }
  | { ok: false; reason: string };

/**
 * An intervention turns a snippet into a control/treated pair. `preserves` says what the treated
 * version must keep, checked after re-parsing it: 'syntax' (no new parse errors), 'structure' (also the
 * same node types in the same order, for renaming and reformatting), or 'nothing' (masking).
 */
export interface Intervention {
  name: string;
  description: string;
  languages: readonly LanguageId[];
  params: readonly ParamSpec[];
  preserves: 'syntax' | 'structure' | 'nothing';
  apply(input: InterventionInput): InterventionOutcome;
}

export interface ObservationalInput {
  snippet: Snippet;
  tree: FlatTree;
  taxonomy: ConceptTaxonomy;
  covariates: Covariates;
  params: Params;
}

/** An observed property that splits a corpus into treated (true) and control (false) snippets. */
export interface ObservationalTreatment {
  name: string;
  description: string;
  languages: readonly LanguageId[];
  params: readonly ParamSpec[];
  /**
   * Covariates the treatment determines (the treatment itself, a function of it, or a mediator: what
   * the property adds to the code, such as the model tokens a docstring adds), never adjusted for:
   * adjusting for a mediator removes part of the effect (Rosenbaum 1984; Pearl 2009, sec. 3.3).
   * `modelTokens` is the scorer's token count; `codeChars` the characters outside comments and docstrings.
   */
  excludedCovariates: readonly (keyof Covariates | 'modelTokens' | 'codeChars')[];
  assign(input: ObservationalInput): boolean;
}

export type Arm = 'control' | 'treated';

/** One row of a testbed (rows.jsonl). */
export interface TestbedRow {
  id: string;
  /** The snippet both arms come from (interventions); null in observational testbeds. */
  pairId: string | null;
  arm: Arm;
  language: LanguageId;
  code: string;
  covariates: Covariates;
  /** What the intervention did (on treated rows), e.g. the mutation made; {} otherwise. */
  meta: JsonObject;
  provenance: Snippet['provenance'];
  fields?: Record<string, JsonValue>;
}
