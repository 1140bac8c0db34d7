import { LANGUAGES, languageSpec } from '../../languages/languages.ts';
import { typeName, type FlatTree } from '../../languages/parser.ts';
import { sameStructure } from '../verify.ts';
import type { Intervention } from '../types.ts';

/**
 * Reformat whitespace without touching any token: re-indent each line to `indent` spaces per level
 * (the level read from the original indentation, its smallest step being one level), and set the
 * spaces between tokens on a line to none where two tokens can touch (`compact`) or one
 * (`spaced`). Text inside tokens (strings, comments) is kept. The result must parse to the same
 * node types in the same order, which rules out merges such as `a - -b` -> `a--b`.
 */

const WORD = /[\p{L}\p{N}_$@]/u;
/** Characters next to which a space can go in any of the six languages without changing the tokens. */
const SEPARATOR = /[()[\]{},;]/;

export type Spacing = 'compact' | 'conservative' | 'spaced';

function indentWidth(ws: string, tabWidth: number): number {
  let w = 0;
  for (const c of ws) w += c === '\t' ? tabWidth : 1;
  return w;
}

export function reformat(tree: FlatTree, indent: number, spacing: Spacing): string {
  const src = tree.source;
  const leaves = [...tree.leaves].filter((n) => tree.end[n] > tree.start[n]);
  if (leaves.length === 0) return src;
  // smallest positive indentation before a token = one level (lines inside comments and strings do not count)
  let unit = Infinity;
  for (let k = 1; k < leaves.length; k++) {
    const gap = src.slice(tree.end[leaves[k - 1]], tree.start[leaves[k]]);
    const nl = gap.lastIndexOf('\n');
    if (nl < 0) continue;
    const width = indentWidth(gap.slice(nl + 1), 4);
    if (width > 0) unit = Math.min(unit, width);
  }
  if (!Number.isFinite(unit)) unit = 4;
  // a gap inside a string node (template literals, f-strings, heredocs) is string content
  const stringTypes = new Set([...languageSpec(tree.language).stringTypes, 'template_string', 'heredoc_body', 'string_content']);
  const gapInString = (prevLeaf: number, nextLeaf: number) => {
    for (let p = tree.parent[prevLeaf]; p >= 0; p = tree.parent[p]) {
      if (stringTypes.has(typeName(tree, p)) && tree.end[p] > tree.start[nextLeaf]) return true;
    }
    return false;
  };
  let out = src.slice(0, tree.start[leaves[0]]);
  for (let k = 0; k < leaves.length; k++) {
    const node = leaves[k];
    if (k > 0) {
      const prevEnd = tree.end[leaves[k - 1]];
      const gap = src.slice(prevEnd, tree.start[node]);
      const nl = gap.lastIndexOf('\n');
      if (gapInString(leaves[k - 1], node)) {
        out += gap;
      } else if (nl >= 0) {
        const lead = gap.slice(nl + 1);
        const level = Math.round(indentWidth(lead, 4) / unit);
        out += gap.slice(0, nl).replace(/[ \t]+(?=\n|$)/g, '') + '\n' + ' '.repeat(level * indent);
      } else {
        const left = src[prevEnd - 1];
        const right = src[tree.start[node]];
        const mustSeparate = WORD.test(left) && WORD.test(right);
        const hadSpace = gap.length > 0;
        const keep =
          spacing === 'spaced' ? hadSpace || mustSeparate
          : spacing === 'conservative' ? mustSeparate || (hadSpace && !SEPARATOR.test(left) && !SEPARATOR.test(right))
          : mustSeparate;
        if (keep) out += ' ';
      }
    }
    out += src.slice(tree.start[node], tree.end[node]);
  }
  return out + src.slice(tree.end[leaves[leaves.length - 1]]);
}

export const reformatWhitespace: Intervention = {
  name: 'reformat-whitespace',
  description: 'Re-indent and respace the code without changing a token (control: the original snippet)',
  languages: LANGUAGES,
  preserves: 'structure',
  params: [
    { name: 'indent', type: 'number', default: 2, description: 'spaces per indentation level' },
    { name: 'spacing', type: 'string', default: 'compact', choices: ['compact', 'spaced'], description: 'compact: no space between tokens unless needed (backing off to spaces kept next to operators where the parse changes); spaced: one space where there was any' },
  ],
  apply({ tree, params, parse }) {
    // whitespace matters to some scanners (Ruby's `a<<b` reads as a heredoc): back off until the tree is the same
    const order: Spacing[] = params.spacing === 'spaced' ? ['spaced'] : ['compact', 'conservative', 'spaced'];
    for (const spacing of order) {
      const treated = reformat(tree, Number(params.indent), spacing);
      if (treated === tree.source) continue;
      if (!sameStructure(tree, parse(treated))) continue;
      return { ok: true, treated, meta: { indent: Number(params.indent), spacing } };
    }
    return { ok: false, reason: 'no whitespace change keeps the tree' };
  },
};
