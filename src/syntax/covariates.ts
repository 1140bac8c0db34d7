/**
 * Covariates per snippet: the confounders of every causal question codegen-eval asks. Definitions
 * (documented in docs/ARCHITECTURE.md, checked against hand counts in test/syntax/covariates.test.ts):
 *
 * - chars: UTF-16 code units; lines: newline count + 1 (a trailing newline does not add a line);
 *   nonBlankLines: lines with a non-whitespace character; whitespace: whitespace characters.
 * - words: whitespace-separated chunks; vocabSize: distinct words.
 * - astNodes: all tree-sitter nodes, named and anonymous; astDepth: levels (root alone = 1);
 *   errorNodes: ERROR and MISSING nodes; identifiers: identifier-like leaves (per language).
 * - cyclomatic: 1 + decision points (McCabe): branches, loops, exception handlers, case labels,
 *   conditional expressions and short-circuit boolean operators, per language (languages.ts).
 * - comments / commentChars: comment nodes and their characters, docstrings excluded;
 *   docstrings / docstringChars: Python string statements opening a module, class or function body,
 *   and elsewhere the comments that open the snippet or start with a doc marker (`/**`).
 * The model-token count is added at scoring time.
 */
import { languageSpec } from '../languages/languages.ts';
import { typeName, type FlatTree } from '../languages/parser.ts';

export interface Covariates {
  chars: number;
  lines: number;
  nonBlankLines: number;
  whitespace: number;
  words: number;
  vocabSize: number;
  astNodes: number;
  astDepth: number;
  errorNodes: number;
  identifiers: number;
  cyclomatic: number;
  comments: number;
  commentChars: number;
  docstrings: number;
  docstringChars: number;
}

export const COVARIATE_NAMES: readonly (keyof Covariates)[] = [
  'chars', 'lines', 'nonBlankLines', 'whitespace', 'words', 'vocabSize', 'astNodes', 'astDepth', 'errorNodes',
  'identifiers', 'cyclomatic', 'comments', 'commentChars', 'docstrings', 'docstringChars',
];

/** Node indices of comments and docstrings, kept apart because interventions and covariates need both. */
export interface CommentNodes {
  comments: number[];
  docstrings: number[];
}

const PY_DOC_OWNERS = new Set(['function_definition', 'class_definition']);

export function findCommentNodes(tree: FlatTree): CommentNodes {
  const spec = languageSpec(tree.language);
  const commentTypes = new Set(spec.commentTypes);
  const comments: number[] = [];
  const docstrings: number[] = [];
  if (tree.language === 'python') {
    for (let i = 0; i < tree.size; i++) {
      const t = typeName(tree, i);
      if (commentTypes.has(t)) comments.push(i);
      else if (t === 'expression_statement' && isPythonDocstring(tree, i)) docstrings.push(i);
    }
    return { comments, docstrings };
  }
  let leading = true;
  for (let i = 1; i < tree.size; i++) {
    const t = typeName(tree, i);
    if (commentTypes.has(t)) {
      const text = tree.source.slice(tree.start[i], tree.start[i] + 3);
      if (leading || text === '/**') docstrings.push(i);
      else comments.push(i);
    } else if (tree.childCount[i] === 0 && tree.end[i] > tree.start[i]) {
      leading = false;
    }
  }
  return { comments, docstrings };
}

function isPythonDocstring(tree: FlatTree, node: number): boolean {
  if (tree.childCount[node] !== 1) return false;
  const child = node + 1;
  const ct = typeName(tree, child);
  if (ct !== 'string' && ct !== 'concatenated_string') return false;
  const parent = tree.parent[node];
  if (parent < 0) return false;
  const pt = typeName(tree, parent);
  const firstStatement = (container: number) => {
    // the first named child that is not a comment
    for (let j = container + 1; j < tree.size && tree.depth[j] > tree.depth[container]; j++) {
      if (tree.parent[j] !== container) continue;
      if (!tree.named[j] || typeName(tree, j) === 'comment') continue;
      return j;
    }
    return -1;
  };
  if (pt === 'module') return firstStatement(parent) === node;
  if (pt === 'block') {
    const owner = tree.parent[parent];
    return owner >= 0 && PY_DOC_OWNERS.has(typeName(tree, owner)) && firstStatement(parent) === node;
  }
  return false;
}

function isWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 11 || code === 12 || code === 0xa0 || code === 0xfeff;
}

export function computeCovariates(tree: FlatTree): Covariates {
  const src = tree.source;
  let lines = 1;
  let nonBlankLines = 0;
  let whitespace = 0;
  let lineHasText = false;
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      if (lineHasText) nonBlankLines++;
      lineHasText = false;
      if (i < src.length - 1) lines++;
      whitespace++;
    } else if (isWhitespace(c) || (c > 127 && /\s/.test(src[i]))) {
      whitespace++;
    } else {
      lineHasText = true;
    }
  }
  if (lineHasText) nonBlankLines++;
  if (src.length === 0) lines = 0;
  const words = src.split(/\s+/).filter((w) => w.length > 0);
  const spec = languageSpec(tree.language);
  const identifierTypes = new Set(spec.identifierTypes);
  const decisionTypes = new Set(spec.decisionTypes);
  const decisionOperators = new Set(spec.decisionOperators);
  let astDepth = 0;
  let errorNodes = 0;
  let identifiers = 0;
  let decisions = 0;
  for (let i = 0; i < tree.size; i++) {
    if (tree.depth[i] + 1 > astDepth) astDepth = tree.depth[i] + 1;
    errorNodes += tree.error[i];
    const t = typeName(tree, i);
    const leaf = tree.childCount[i] === 0;
    if (leaf && identifierTypes.has(t) && tree.named[i]) identifiers++;
    if (tree.named[i] && decisionTypes.has(t)) decisions++;
    else if (leaf && !tree.named[i] && decisionOperators.has(t)) decisions++;
  }
  const { comments, docstrings } = findCommentNodes(tree);
  const span = (n: number) => tree.end[n] - tree.start[n];
  return {
    chars: src.length,
    lines,
    nonBlankLines,
    whitespace,
    words: words.length,
    vocabSize: new Set(words).size,
    astNodes: tree.size,
    astDepth,
    errorNodes,
    identifiers,
    cyclomatic: 1 + decisions,
    comments: comments.length,
    commentChars: comments.reduce((s, n) => s + span(n), 0),
    docstrings: docstrings.length,
    docstringChars: docstrings.reduce((s, n) => s + span(n), 0),
  };
}
