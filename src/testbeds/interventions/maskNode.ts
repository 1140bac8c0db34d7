import { LANGUAGES } from '../../languages/languages.ts';
import { typeName, nodeText, type FlatTree } from '../../languages/parser.ts';
import { applyEdits, type TextEdit } from '../edits.ts';
import type { Intervention, InterventionOutcome } from '../types.ts';
import type { Random } from '../../util/random.ts';
import type { JsonObject } from '../../util/hocon.ts';

/**
 * Mask the tokens of one AST node type, for masked-model evaluation: every outermost node of type
 * `nodeType` is replaced by `maskToken`. The control arm is either the original snippet or, with
 * `control = random` (the literature's comparison), the same number of randomly chosen leaves of other
 * types masked. Masked spans are recorded in both arms' coordinates with the hidden text, so a scorer
 * can compare a model's prediction with the truth.
 */

interface Masking {
  code: string;
  spans: JsonObject[];
}

function mask(source: string, nodes: Array<[number, number]>, token: string): Masking {
  const sorted = [...nodes].sort((a, b) => a[0] - b[0]);
  const edits: TextEdit[] = sorted.map(([start, end]) => ({ start, end, text: token }));
  const spans: JsonObject[] = [];
  let shift = 0;
  for (const [start, end] of sorted) {
    spans.push({ start, end, text: source.slice(start, end), maskedStart: start + shift, maskedEnd: start + shift + token.length });
    shift += token.length - (end - start);
  }
  return { code: applyEdits(source, edits), spans };
}

function outermostOfType(tree: FlatTree, type: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let until = -1;
  for (let i = 0; i < tree.size; i++) {
    if (tree.start[i] < until) continue;
    if (typeName(tree, i) === type && tree.end[i] > tree.start[i]) {
      out.push([tree.start[i], tree.end[i]]);
      until = tree.end[i];
    }
  }
  return out;
}

function randomLeaves(tree: FlatTree, count: number, exclude: Array<[number, number]>, random: Random): Array<[number, number]> {
  const inExcluded = (s: number, e: number) => exclude.some(([a, b]) => s < b && a < e);
  const pool: Array<[number, number]> = [];
  for (const leaf of tree.leaves) {
    const s = tree.start[leaf];
    const e = tree.end[leaf];
    if (e > s && nodeText(tree, leaf).trim() !== '' && !inExcluded(s, e)) pool.push([s, e]);
  }
  const chosen: Array<[number, number]> = [];
  while (chosen.length < count && pool.length > 0) chosen.push(pool.splice(random.int(pool.length), 1)[0]);
  return chosen;
}

export const maskNode: Intervention = {
  name: 'mask-node',
  description: 'Mask every node of one AST type (control: the original, or as many random leaves masked)',
  languages: LANGUAGES,
  preserves: 'nothing',
  params: [
    { name: 'nodeType', type: 'string', required: true, description: 'the tree-sitter node type to mask (e.g. identifier, if_statement)' },
    { name: 'maskToken', type: 'string', default: '<mask>', description: 'text that replaces each masked node' },
    { name: 'control', type: 'string', default: 'random', choices: ['random', 'original'], description: 'what the control arm masks' },
  ],
  apply({ tree, params, random }): InterventionOutcome {
    const type = String(params.nodeType);
    const token = String(params.maskToken);
    const targets = outermostOfType(tree, type);
    if (targets.length === 0) return { ok: false, reason: `no ${type} node` };
    const treated = mask(tree.source, targets, token);
    if (params.control === 'random') {
      const others = randomLeaves(tree, targets.length, targets, random);
      if (others.length < targets.length) return { ok: false, reason: 'too few other leaves for a random-mask control' };
      const control = mask(tree.source, others, token);
      return { ok: true, control: control.code, treated: treated.code, meta: { nodeType: type, masked: treated.spans, controlMasked: control.spans } };
    }
    const meta: JsonObject = { nodeType: type, masked: treated.spans };
    return { ok: true, treated: treated.code, meta };
  },
};
