import { countErrors, typeName, type FlatTree } from '../syntax/parser.ts';
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
  if (intervention.preserves === 'structure') {
    if (control.size !== treated.size) return 'treated code parses to a different tree';
    for (let i = 0; i < control.size; i++) {
      if (typeName(control, i) !== typeName(treated, i) || control.depth[i] !== treated.depth[i]) return 'treated code parses to a different tree';
    }
  }
  return undefined;
}
