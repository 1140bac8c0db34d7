import type { LanguageId } from '../../languages/languages.ts';
import { LANGUAGES } from '../../languages/languages.ts';
import { fieldName, typeName, nodeText, type FlatTree } from '../../languages/parser.ts';
import { applyEdits, type TextEdit } from '../edits.ts';
import type { Intervention } from '../types.ts';

/**
 * Rename local identifiers (parameters and local variables) consistently to neutral names
 * (v0, v1, ... in order of first declaration, skipping names the snippet already uses). Which
 * positions declare a local, and which occurrences must never be renamed (attribute names, keyword
 * arguments, shorthand properties, keyword parameters), is a table per language below. The treated
 * version must parse to the same node types in the same order.
 */

interface Position {
  /** Type of the name node's parent. */
  parent: string;
  /** Field the name fills in its parent; undefined: any. */
  field?: string;
  /** When the parent is itself inside a node of this type (e.g. a Java variable_declarator in a local declaration). */
  grandparent?: string;
}

interface RenameRules {
  /** Type of the nodes that hold names. */
  nameType: string;
  /** Positions that declare a local. */
  binds: Position[];
  /** Occurrences that are not references to a local (member names, labels, keyword arguments). */
  skips: Position[];
  /** Positions whose names must not be renamed at all (renaming them would change the interface). */
  freezes: Position[];
  /** Types whose names freeze a name of the same text (shorthand properties in JS). */
  freezeTypes?: string[];
  /** Names never renamed. */
  reserved?: string[];
  /** Prefix written before a new name (PHP's `$` lives outside the `name` node). */
  format?: (name: string) => string;
}

const RULES: Record<LanguageId, RenameRules> = {
  python: {
    nameType: 'identifier',
    binds: [
      { parent: 'parameters' }, { parent: 'lambda_parameters' }, { parent: 'typed_parameter' },
      { parent: 'default_parameter', field: 'name' }, { parent: 'typed_default_parameter', field: 'name' },
      { parent: 'list_splat_pattern' }, { parent: 'dictionary_splat_pattern' },
      { parent: 'assignment', field: 'left' }, { parent: 'augmented_assignment', field: 'left' },
      { parent: 'pattern_list' }, { parent: 'tuple_pattern' }, { parent: 'list_pattern' },
      { parent: 'for_statement', field: 'left' }, { parent: 'for_in_clause', field: 'left' },
      { parent: 'as_pattern_target' }, { parent: 'named_expression', field: 'name' },
    ],
    skips: [
      { parent: 'attribute', field: 'attribute' }, { parent: 'keyword_argument', field: 'name' },
      { parent: 'function_definition', field: 'name' }, { parent: 'class_definition', field: 'name' },
    ],
    freezes: [
      { parent: 'global_statement' }, { parent: 'nonlocal_statement' }, { parent: 'dotted_name' },
      { parent: 'aliased_import', field: 'alias' },
    ],
    reserved: ['self', 'cls'],
  },
  java: {
    nameType: 'identifier',
    binds: [
      { parent: 'formal_parameter', field: 'name' }, { parent: 'catch_formal_parameter', field: 'name' },
      { parent: 'variable_declarator', field: 'name', grandparent: 'local_variable_declaration' },
      { parent: 'enhanced_for_statement', field: 'name' }, { parent: 'inferred_parameters' },
      { parent: 'lambda_expression', field: 'parameters' }, { parent: 'resource', field: 'name' },
      { parent: 'variable_declarator', field: 'name', grandparent: 'spread_parameter' },
    ],
    skips: [
      { parent: 'field_access', field: 'field' }, { parent: 'method_invocation', field: 'name' },
      { parent: 'method_declaration', field: 'name' }, { parent: 'constructor_declaration', field: 'name' },
      { parent: 'class_declaration', field: 'name' }, { parent: 'labeled_statement' },
      { parent: 'break_statement' }, { parent: 'continue_statement' }, { parent: 'element_value_pair', field: 'key' },
    ],
    freezes: [],
  },
  javascript: {
    nameType: 'identifier',
    binds: [
      { parent: 'formal_parameters' }, { parent: 'variable_declarator', field: 'name' },
      { parent: 'assignment_pattern', field: 'left' }, { parent: 'array_pattern' }, { parent: 'rest_pattern' },
      { parent: 'arrow_function', field: 'parameter' }, { parent: 'for_in_statement', field: 'left' },
      { parent: 'catch_clause', field: 'parameter' },
    ],
    skips: [
      { parent: 'function_declaration', field: 'name' }, { parent: 'function_expression', field: 'name' },
      { parent: 'class_declaration', field: 'name' }, { parent: 'labeled_statement' },
      { parent: 'break_statement' }, { parent: 'continue_statement' },
    ],
    freezes: [],
    freezeTypes: ['shorthand_property_identifier', 'shorthand_property_identifier_pattern'],
    reserved: ['arguments', 'undefined'],
  },
  go: {
    nameType: 'identifier',
    binds: [
      { parent: 'parameter_declaration', field: 'name' }, { parent: 'variadic_parameter_declaration', field: 'name' },
      { parent: 'expression_list', grandparent: 'short_var_declaration' }, { parent: 'var_spec', field: 'name' },
      { parent: 'expression_list', grandparent: 'range_clause' }, { parent: 'const_spec', field: 'name' },
    ],
    skips: [{ parent: 'function_declaration', field: 'name' }],
    freezes: [],
    reserved: ['_'],
  },
  php: {
    nameType: 'name',
    binds: [{ parent: 'variable_name' }],
    skips: [],
    freezes: [
      { parent: 'variable_name', grandparent: 'global_declaration' },
      { parent: 'variable_name', grandparent: 'scoped_property_access_expression' },
      { parent: 'variable_name', grandparent: 'property_promotion_parameter' },
    ],
    reserved: ['this', 'GLOBALS', '_SERVER', '_GET', '_POST', '_FILES', '_COOKIE', '_SESSION', '_REQUEST', '_ENV'],
  },
  ruby: {
    nameType: 'identifier',
    binds: [
      { parent: 'method_parameters' }, { parent: 'block_parameters' }, { parent: 'lambda_parameters' },
      { parent: 'optional_parameter', field: 'name' }, { parent: 'splat_parameter', field: 'name' },
      { parent: 'hash_splat_parameter', field: 'name' }, { parent: 'block_parameter', field: 'name' },
      { parent: 'assignment', field: 'left' }, { parent: 'operator_assignment', field: 'left' },
      { parent: 'left_assignment_list' }, { parent: 'for', field: 'pattern' }, { parent: 'exception_variable' },
      { parent: 'destructured_parameter' },
    ],
    skips: [
      { parent: 'method', field: 'name' }, { parent: 'singleton_method', field: 'name' },
      { parent: 'call', field: 'method' },
    ],
    freezes: [{ parent: 'keyword_parameter', field: 'name' }],
  },
};

function matches(tree: FlatTree, node: number, positions: Position[]): boolean {
  const p = tree.parent[node];
  if (p < 0) return false;
  const pt = typeName(tree, p);
  const field = fieldName(tree, node);
  for (const pos of positions) {
    if (pos.parent !== pt) continue;
    if (pos.field !== undefined && pos.field !== field) continue;
    if (pos.grandparent !== undefined) {
      const g = tree.parent[p];
      if (g < 0 || typeName(tree, g) !== pos.grandparent) continue;
    }
    return true;
  }
  return false;
}

export interface RenamePlan {
  mapping: Map<string, string>;
  edits: TextEdit[];
}

export function planRenaming(tree: FlatTree): RenamePlan {
  const rules = RULES[tree.language];
  const reserved = new Set(rules.reserved ?? []);
  const frozen = new Set<string>();
  const declared: string[] = [];
  const used = new Set<string>();
  const names: number[] = [];
  const freezeTypes = new Set(rules.freezeTypes ?? []);
  for (let i = 0; i < tree.size; i++) {
    if (tree.childCount[i] !== 0) continue;
    const t = typeName(tree, i);
    const text = nodeText(tree, i);
    used.add(text);
    if (freezeTypes.has(t)) frozen.add(text);
    if (t !== rules.nameType) continue;
    names.push(i);
    if (matches(tree, i, rules.freezes)) frozen.add(text);
    else if (matches(tree, i, rules.binds) && !declared.includes(text)) declared.push(text);
  }
  const mapping = new Map<string, string>();
  let k = 0;
  for (const name of declared) {
    if (frozen.has(name) || reserved.has(name)) continue;
    let fresh = `v${k++}`;
    while (used.has(fresh)) fresh = `v${k++}`;
    mapping.set(name, fresh);
  }
  const edits: TextEdit[] = [];
  for (const node of names) {
    const text = nodeText(tree, node);
    const fresh = mapping.get(text);
    if (fresh === undefined || matches(tree, node, rules.skips)) continue;
    edits.push({ start: tree.start[node], end: tree.end[node], text: rules.format ? rules.format(fresh) : fresh });
  }
  return { mapping, edits };
}

export const renameIdentifiers: Intervention = {
  name: 'rename-identifiers',
  description: 'Rename local identifiers consistently to neutral names v0, v1, ... (control: the original snippet)',
  languages: LANGUAGES,
  preserves: 'structure',
  params: [],
  apply({ tree }) {
    const { mapping, edits } = planRenaming(tree);
    if (mapping.size === 0) return { ok: false, reason: 'no local identifiers to rename' };
    return { ok: true, treated: applyEdits(tree.source, edits), meta: { renamed: Object.fromEntries(mapping), occurrences: edits.length } };
  },
};
