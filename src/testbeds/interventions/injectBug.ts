import type { LanguageId } from '../../languages/languages.ts';
import { LANGUAGES } from '../../languages/languages.ts';
import { fieldName, typeName, nodeText, type FlatTree } from '../../languages/parser.ts';
import { applyEdits, editsMeta, lineColumn, type TextEdit } from '../edits.ts';
import type { Intervention } from '../types.ts';
import type { JsonObject } from '../../util/hocon.ts';

/**
 * Inject a bug by mutation, as mutation-testing tools do: swap a comparison, arithmetic or boolean
 * operator, add one to an integer literal, or negate an `if` condition. One site (or `count` sites) is
 * drawn at random from all candidates of the allowed operators, seeded per snippet; each mutation is
 * recorded with its operator, original and replacement text, offsets and line.
 */

export const MUTATION_OPERATORS = ['comparison', 'arithmetic', 'boolean', 'off-by-one', 'negate-condition'] as const;
export type MutationOperator = (typeof MUTATION_OPERATORS)[number];

const COMPARISON_SWAP: Record<string, string> = { '<': '>=', '>=': '<', '>': '<=', '<=': '>', '==': '!=', '!=': '==', '===': '!==', '!==': '===' };
const ARITHMETIC_SWAP: Record<string, string> = { '+': '-', '-': '+', '*': '/', '/': '*' };
const BOOLEAN_SWAP: Record<string, string> = { '&&': '||', '||': '&&', and: 'or', or: 'and' };

const BINARY_PARENTS: Record<LanguageId, string[]> = {
  python: ['comparison_operator', 'binary_operator', 'boolean_operator'],
  java: ['binary_expression'],
  javascript: ['binary_expression'],
  go: ['binary_expression'],
  php: ['binary_expression'],
  ruby: ['binary'],
};

const INTEGER_TYPES: Record<LanguageId, string> = {
  python: 'integer', java: 'decimal_integer_literal', javascript: 'number', go: 'int_literal', php: 'integer', ruby: 'integer',
};

const IF_TYPES: Record<LanguageId, string[]> = {
  python: ['if_statement', 'elif_clause'],
  java: ['if_statement'],
  javascript: ['if_statement'],
  go: ['if_statement'],
  php: ['if_statement', 'else_if_clause'],
  ruby: ['if', 'elsif', 'unless'],
};

interface Candidate {
  operator: MutationOperator;
  edit: TextEdit;
  original: string;
}

export function mutationCandidates(tree: FlatTree, allowed: ReadonlySet<MutationOperator>): Candidate[] {
  const binaryParents = new Set(BINARY_PARENTS[tree.language]);
  const integerType = INTEGER_TYPES[tree.language];
  const ifTypes = new Set(IF_TYPES[tree.language]);
  const out: Candidate[] = [];
  for (let i = 0; i < tree.size; i++) {
    const t = typeName(tree, i);
    const leaf = tree.childCount[i] === 0;
    const p = tree.parent[i];
    if (leaf && !tree.named[i] && p >= 0 && binaryParents.has(typeName(tree, p))) {
      const swaps: [MutationOperator, Record<string, string>][] = [['comparison', COMPARISON_SWAP], ['arithmetic', ARITHMETIC_SWAP], ['boolean', BOOLEAN_SWAP]];
      for (const [op, table] of swaps) {
        if (allowed.has(op) && table[t] !== undefined) {
          out.push({ operator: op, original: t, edit: { start: tree.start[i], end: tree.end[i], text: table[t] } });
        }
      }
    }
    if (allowed.has('off-by-one') && leaf && t === integerType) {
      const text = nodeText(tree, i);
      if (/^[0-9]+$/.test(text) && text.length < 15 && !(text.length > 1 && text.startsWith('0'))) {
        out.push({ operator: 'off-by-one', original: text, edit: { start: tree.start[i], end: tree.end[i], text: String(Number(text) + 1) } });
      }
    }
    if (allowed.has('negate-condition') && ifTypes.has(t) && tree.named[i]) {
      const cond = conditionOf(tree, i);
      if (cond >= 0) out.push(negation(tree, cond));
    }
  }
  return out;
}

function conditionOf(tree: FlatTree, node: number): number {
  for (let j = node + 1; j < tree.size && tree.depth[j] > tree.depth[node]; j++) {
    if (tree.parent[j] === node && fieldName(tree, j) === 'condition') return j;
  }
  return -1;
}

function negation(tree: FlatTree, cond: number): Candidate {
  const text = nodeText(tree, cond);
  const start = tree.start[cond];
  const end = tree.end[cond];
  let replacement: string;
  if (tree.language === 'python') replacement = `not (${text})`;
  else if (typeName(tree, cond) === 'parenthesized_expression') replacement = `(!${text})`;
  else replacement = `!(${text})`;
  return { operator: 'negate-condition', original: text, edit: { start, end, text: replacement } };
}

export const injectBug: Intervention = {
  name: 'inject-bug',
  description: 'Inject a bug by mutation: swap an operator, add one to an integer, or negate a condition (control: the original snippet)',
  languages: LANGUAGES,
  preserves: 'syntax',
  params: [
    { name: 'operators', type: 'string[]', default: [...MUTATION_OPERATORS], description: 'mutation operators to draw from', choices: MUTATION_OPERATORS },
    { name: 'count', type: 'number', default: 1, description: 'mutations per snippet' },
  ],
  apply({ tree, params, random }) {
    const allowed = new Set((params.operators as string[]).filter((o): o is MutationOperator => (MUTATION_OPERATORS as readonly string[]).includes(o)));
    const candidates = mutationCandidates(tree, allowed);
    const count = Math.max(1, Math.floor(Number(params.count)));
    if (candidates.length < count) return { ok: false, reason: candidates.length === 0 ? 'no mutable operator, literal or condition' : `fewer than ${count} mutation sites` };
    const chosen: Candidate[] = [];
    const pool = [...candidates];
    while (chosen.length < count && pool.length > 0) {
      const [c] = pool.splice(random.int(pool.length), 1);
      if (chosen.some((d) => c.edit.start < d.edit.end && d.edit.start < c.edit.end)) continue; // overlapping sites
      chosen.push(c);
    }
    if (chosen.length < count) return { ok: false, reason: `fewer than ${count} non-overlapping mutation sites` };
    chosen.sort((a, b) => a.edit.start - b.edit.start);
    const mutations: JsonObject[] = chosen.map((c) => ({
      operator: c.operator,
      original: c.original,
      replacement: c.edit.text,
      start: c.edit.start,
      end: c.edit.end,
      line: lineColumn(tree.source, c.edit.start).line,
    }));
    return { ok: true, treated: applyEdits(tree.source, chosen.map((c) => c.edit)), meta: { mutations, candidates: candidates.length, edits: editsMeta(chosen.map((c) => c.edit)) } };
  },
};
