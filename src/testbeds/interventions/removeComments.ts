import { findCommentNodes } from '../../syntax/covariates.ts';
import { LANGUAGES } from '../../languages/languages.ts';
import { typeName, type FlatTree } from '../../languages/parser.ts';
import { applyEdits, editsMeta, type TextEdit } from '../edits.ts';
import type { Intervention } from '../types.ts';

/**
 * Remove comments and docstrings. A comment alone on its line(s) takes its line with it; a trailing
 * comment takes the spaces before it. A Python docstring that is its body's only statement becomes
 * `pass`, so the treated code still parses.
 */
export const removeComments: Intervention = {
  name: 'remove-comments',
  description: 'Remove comments and docstrings (control: the original snippet)',
  languages: LANGUAGES,
  preserves: 'syntax',
  params: [
    { name: 'comments', type: 'boolean', default: true, description: 'remove comments' },
    { name: 'docstrings', type: 'boolean', default: true, description: 'remove docstrings and doc comments' },
  ],
  apply({ tree, params }) {
    const found = findCommentNodes(tree);
    const targets = [...(params.comments ? found.comments : []), ...(params.docstrings ? found.docstrings : [])].sort((a, b) => tree.start[a] - tree.start[b]);
    if (targets.length === 0) return { ok: false, reason: 'no comments or docstrings to remove' };
    const src = tree.source;
    const edits: TextEdit[] = [];
    for (const node of targets) {
      if (tree.language === 'python' && found.docstrings.includes(node) && isOnlyStatement(tree, node)) {
        edits.push({ start: tree.start[node], end: tree.end[node], text: 'pass' });
        continue;
      }
      edits.push(removalSpan(src, tree.start[node], tree.end[node]));
    }
    const merged = mergeOverlaps(edits);
    return {
      ok: true,
      treated: applyEdits(src, merged),
      meta: { removedComments: params.comments ? found.comments.length : 0, removedDocstrings: params.docstrings ? found.docstrings.length : 0, edits: editsMeta(merged) },
    };
  },
};

/** The span to delete for a comment at [start, end): whole lines when it stands alone. */
function removalSpan(src: string, start: number, end: number): TextEdit {
  const lineStart = src.lastIndexOf('\n', start - 1) + 1;
  let lineEnd = src.indexOf('\n', end);
  if (lineEnd < 0) lineEnd = src.length;
  const before = src.slice(lineStart, start);
  const after = src.slice(end, lineEnd);
  if (/^[ \t]*$/.test(before) && /^[ \t\r]*$/.test(after)) {
    // whole line(s): remove through the newline (or the preceding newline at the end of the text)
    if (lineEnd < src.length) return { start: lineStart, end: lineEnd + 1, text: '' };
    return { start: Math.max(0, lineStart - 1), end: lineEnd, text: '' };
  }
  let s = start;
  while (s > lineStart && (src[s - 1] === ' ' || src[s - 1] === '\t')) s--;
  // a block comment between tokens on one line keeps one space so the tokens stay apart
  const text = /^[ \t\r]*$/.test(after) || s === lineStart ? '' : ' ';
  return { start: s, end, text };
}

function mergeOverlaps(edits: TextEdit[]): TextEdit[] {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const out: TextEdit[] = [];
  for (const e of sorted) {
    const last = out[out.length - 1];
    if (last && e.start < last.end) {
      last.end = Math.max(last.end, e.end);
      last.text = last.text || e.text;
    } else out.push({ ...e });
  }
  return out;
}

function isOnlyStatement(tree: FlatTree, node: number): boolean {
  const block = tree.parent[node];
  let statements = 0;
  for (let j = block + 1; j < tree.size && tree.depth[j] > tree.depth[block]; j++) {
    if (tree.parent[j] === block && tree.named[j] && typeName(tree, j) !== 'comment') statements++;
  }
  return statements === 1;
}
