/**
 * What codegen-eval knows about each language: its tree-sitter grammar and the node types that matter
 * for snippet extraction, covariates and interventions. Concept taxonomies are data, in conf/concepts/.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const LANGUAGES = ['python', 'java', 'javascript', 'go', 'php', 'ruby'] as const;
export type LanguageId = (typeof LANGUAGES)[number];

export interface LanguageSpec {
  id: LanguageId;
  /** npm package and file name of the official tree-sitter grammar's .wasm. */
  grammarPackage: string;
  wasmFile: string;
  extensions: string[];
  /** Node types that are one snippet when extracting functions from source files. */
  functionTypes: string[];
  /** A wrapper that belongs to the function (python decorators). */
  functionWrapperTypes: string[];
  commentTypes: string[];
  /** Leaves counted as identifiers (the `n_identifiers` covariate). */
  identifierTypes: string[];
  /** Named nodes that add one to cyclomatic complexity (branches, loops, handlers, cases, ternaries). */
  decisionTypes: string[];
  /** Anonymous leaves that add one: short-circuit operators, and Java's `case` keyword. */
  decisionOperators: string[];
  /** String literal node types (used by predicates and masking). */
  stringTypes: string[];
  /** Text that starts a line comment, for interventions that must write one. */
  lineComment: string;
  /**
   * Text to put around a snippet that is not valid at the top level on its own (a PHP method with
   * modifiers); the parser strips the wrapper's nodes and shifts offsets back to the snippet's own.
   */
  snippetWrapper?: (code: string) => { prefix: string; suffix: string } | undefined;
}

const LEADING_COMMENTS = String.raw`^(?:\s*(?:\/\*[\s\S]*?\*\/|\/\/[^\n]*))*\s*`;
/** A JavaScript class member on its own (`name(args) {`, `static async *gen() {`, `get x() {`). */
const JS_METHOD = new RegExp(String.raw`${LEADING_COMMENTS}(?:(?:static|async|get|set)\s+)*\*?\s*#?(?!(?:if|for|while|switch|catch|function|return|with)\b)[A-Za-z_$][\w$]*\s*\([^)]*\)\s*\{`);

/** Java code that is not a compilation unit on its own: a class member (method, constructor, field). */
const JAVA_MEMBER = new RegExp(String.raw`${LEADING_COMMENTS}(?!(?:package|import)\b)(?:@\w+(?:\([^)]*\))?\s*|(?:public|protected|private|static|final|abstract|synchronized|native|strictfp|default)\s+)*(?!(?:class|interface|enum|record)\b)[A-Za-z_<]`);

const PHP_MEMBER = /^(?:\s*(?:\/\*[\s\S]*?\*\/|\/\/[^\n]*|#[^\n]*))*\s*(?:#\[[^\]]*\]\s*)*(?:public|private|protected|static|abstract|final|var|readonly)\b/;

const SPECS: Record<LanguageId, LanguageSpec> = {
  python: {
    id: 'python',
    grammarPackage: 'tree-sitter-python',
    wasmFile: 'tree-sitter-python.wasm',
    extensions: ['.py'],
    functionTypes: ['function_definition'],
    functionWrapperTypes: ['decorated_definition'],
    commentTypes: ['comment'],
    identifierTypes: ['identifier'],
    decisionTypes: ['if_statement', 'elif_clause', 'for_statement', 'while_statement', 'except_clause', 'conditional_expression', 'for_in_clause', 'if_clause', 'case_clause'],
    decisionOperators: ['and', 'or'],
    stringTypes: ['string'],
    lineComment: '#',
  },
  java: {
    id: 'java',
    grammarPackage: 'tree-sitter-java',
    wasmFile: 'tree-sitter-java.wasm',
    extensions: ['.java'],
    functionTypes: ['method_declaration', 'constructor_declaration'],
    functionWrapperTypes: [],
    commentTypes: ['line_comment', 'block_comment'],
    identifierTypes: ['identifier', 'type_identifier'],
    decisionTypes: ['if_statement', 'for_statement', 'enhanced_for_statement', 'while_statement', 'do_statement', 'catch_clause', 'ternary_expression'],
    decisionOperators: ['&&', '||', 'case'],
    stringTypes: ['string_literal'],
    lineComment: '//',
    snippetWrapper: (code) => (JAVA_MEMBER.test(code) ? { prefix: 'class __CodegenEvalWrapper__ {\n', suffix: '\n}' } : undefined),
  },
  javascript: {
    id: 'javascript',
    grammarPackage: 'tree-sitter-javascript',
    wasmFile: 'tree-sitter-javascript.wasm',
    extensions: ['.js', '.mjs', '.cjs', '.jsx'],
    functionTypes: ['function_declaration', 'generator_function_declaration', 'method_definition', 'function_expression', 'arrow_function'],
    functionWrapperTypes: [],
    commentTypes: ['comment'],
    identifierTypes: ['identifier', 'property_identifier', 'shorthand_property_identifier', 'shorthand_property_identifier_pattern', 'private_property_identifier'],
    decisionTypes: ['if_statement', 'for_statement', 'for_in_statement', 'while_statement', 'do_statement', 'catch_clause', 'ternary_expression', 'switch_case'],
    decisionOperators: ['&&', '||', '??'],
    stringTypes: ['string', 'template_string'],
    lineComment: '//',
    snippetWrapper: (code) => (JS_METHOD.test(code) ? { prefix: 'class __CodegenEvalWrapper__ {\n', suffix: '\n}' } : undefined),
  },
  go: {
    id: 'go',
    grammarPackage: 'tree-sitter-go',
    wasmFile: 'tree-sitter-go.wasm',
    extensions: ['.go'],
    functionTypes: ['function_declaration', 'method_declaration'],
    functionWrapperTypes: [],
    commentTypes: ['comment'],
    identifierTypes: ['identifier', 'field_identifier', 'type_identifier', 'package_identifier'],
    decisionTypes: ['if_statement', 'for_statement', 'expression_case', 'type_case', 'communication_case'],
    decisionOperators: ['&&', '||'],
    stringTypes: ['interpreted_string_literal', 'raw_string_literal'],
    lineComment: '//',
  },
  php: {
    id: 'php',
    grammarPackage: 'tree-sitter-php',
    // php_only parses PHP code without requiring the `<?php` tag (CodeSearchNet stores bare functions)
    wasmFile: 'tree-sitter-php_only.wasm',
    extensions: ['.php'],
    functionTypes: ['function_definition', 'method_declaration'],
    functionWrapperTypes: [],
    commentTypes: ['comment'],
    identifierTypes: ['name'],
    decisionTypes: ['if_statement', 'else_if_clause', 'for_statement', 'foreach_statement', 'while_statement', 'do_statement', 'catch_clause', 'conditional_expression', 'case_statement', 'match_conditional_expression'],
    decisionOperators: ['&&', '||', 'and', 'or', '??'],
    stringTypes: ['string', 'encapsed_string', 'heredoc', 'nowdoc'],
    lineComment: '//',
    snippetWrapper: (code) => (PHP_MEMBER.test(code) ? { prefix: 'class __CodegenEvalWrapper__ {\n', suffix: '\n}' } : undefined),
  },
  ruby: {
    id: 'ruby',
    grammarPackage: 'tree-sitter-ruby',
    wasmFile: 'tree-sitter-ruby.wasm',
    extensions: ['.rb'],
    functionTypes: ['method', 'singleton_method'],
    functionWrapperTypes: [],
    commentTypes: ['comment'],
    identifierTypes: ['identifier', 'constant'],
    decisionTypes: ['if', 'elsif', 'unless', 'while', 'until', 'for', 'when', 'rescue', 'conditional', 'if_modifier', 'unless_modifier', 'while_modifier', 'until_modifier', 'rescue_modifier'],
    decisionOperators: ['&&', '||', 'and', 'or'],
    stringTypes: ['string'],
    lineComment: '#',
  },
};

export function isLanguageId(name: string): name is LanguageId {
  return (LANGUAGES as readonly string[]).includes(name);
}

export function languageSpec(id: LanguageId): LanguageSpec {
  return SPECS[id];
}

/** Accepts the usual aliases (py, js, golang, rb) besides the canonical names. */
export function normalizeLanguage(name: string): LanguageId | undefined {
  const lower = name.trim().toLowerCase();
  const aliases: Record<string, LanguageId> = { py: 'python', python3: 'python', js: 'javascript', node: 'javascript', golang: 'go', rb: 'ruby' };
  const id = aliases[lower] ?? lower;
  return isLanguageId(id) ? id : undefined;
}

export function languageForPath(path: string): LanguageId | undefined {
  const lower = path.toLowerCase();
  for (const id of LANGUAGES) if (SPECS[id].extensions.some((ext) => lower.endsWith(ext))) return id;
  return undefined;
}

const require = createRequire(import.meta.url);

export function grammarWasmPath(id: LanguageId): string {
  const spec = SPECS[id];
  return join(dirname(require.resolve(`${spec.grammarPackage}/package.json`)), spec.wasmFile);
}
