import { fieldName, typeName, type FlatTree } from '../../languages/parser.ts';
import { applyEdits, type TextEdit } from '../edits.ts';
import type { Intervention } from '../types.ts';

/**
 * Drop Python type annotations: parameter annotations (`x: int` -> `x`), return annotations
 * (`-> int`), and annotated assignments (`x: int = 1` -> `x = 1`; a bare `x: int` becomes `pass`).
 */
export function annotationEdits(tree: FlatTree): TextEdit[] {
  const edits: TextEdit[] = [];
  const child = (node: number, field: string): number => {
    for (let j = node + 1; j < tree.size && tree.depth[j] > tree.depth[node]; j++) {
      if (tree.parent[j] === node && fieldName(tree, j) === field) return j;
    }
    return -1;
  };
  const firstChild = (node: number) => (tree.childCount[node] > 0 ? node + 1 : -1);
  for (let i = 0; i < tree.size; i++) {
    const t = typeName(tree, i);
    if (t === 'typed_parameter') {
      const name = firstChild(i);
      const type = child(i, 'type');
      if (name >= 0 && type >= 0) edits.push({ start: tree.end[name], end: tree.end[type], text: '' });
    } else if (t === 'typed_default_parameter') {
      const name = child(i, 'name');
      const type = child(i, 'type');
      if (name >= 0 && type >= 0) edits.push({ start: tree.end[name], end: tree.end[type], text: '' });
    } else if (t === 'function_definition') {
      const params = child(i, 'parameters');
      const ret = child(i, 'return_type');
      if (params >= 0 && ret >= 0) edits.push({ start: tree.end[params], end: tree.end[ret], text: '' });
    } else if (t === 'assignment') {
      const left = child(i, 'left');
      const type = child(i, 'type');
      if (left < 0 || type < 0) continue;
      const right = child(i, 'right');
      if (right >= 0) edits.push({ start: tree.end[left], end: tree.end[type], text: '' });
      else edits.push({ start: tree.start[i], end: tree.end[i], text: 'pass' });
    }
  }
  return edits;
}

export const dropTypeAnnotations: Intervention = {
  name: 'drop-type-annotations',
  description: 'Remove Python type annotations from parameters, returns and assignments (control: the original snippet)',
  languages: ['python'],
  preserves: 'syntax',
  params: [],
  apply({ tree }) {
    const edits = annotationEdits(tree);
    if (edits.length === 0) return { ok: false, reason: 'no type annotations' };
    return { ok: true, treated: applyEdits(tree.source, edits), meta: { removedAnnotations: edits.length } };
  },
};
