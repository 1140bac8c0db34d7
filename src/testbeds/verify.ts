import { countErrors, type FlatTree } from '../languages/parser.ts';
import type { Intervention } from './types.ts';

/**
 * Check a treated version against what its intervention promises to keep. Returns the reason it
 * fails, or undefined when it holds.
 */
export function verifyTreated(intervention: Intervention, control: FlatTree, treated: FlatTree): string | undefined {
  if (intervention.preserves === 'nothing') return undefined;
  const before = countErrors(control);
  const after = countErrors(treated);
  if (after > before) return 'treated code does not parse';
  if (intervention.preserves === 'structure' && !sameStructure(control, treated)) return 'treated code parses to a different tree';
  return undefined;
}

/** The same node types at the same depths in the same order (the texts may differ). */
export function sameStructure(a: FlatTree, b: FlatTree): boolean {
  if (a.size !== b.size) return false;
  for (let i = 0; i < a.size; i++) if (a.typeId[i] !== b.typeId[i] || a.depth[i] !== b.depth[i]) return false;
  return true;
}
