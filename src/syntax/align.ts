/**
 * Alignment of any tokenization to the syntax tree, by character span.
 *
 * The rule (ASTxplainer's, made exact):
 * - A token [a, b) binds to every leaf whose span overlaps it (leafStart < b and leafEnd > a), so a
 *   subword that straddles two leaves belongs to both, and to every ancestor of those leaves.
 * - A token that overlaps no leaf (whitespace, or a gap inside a node) binds to the deepest node whose
 *   span contains it, and to that node's ancestors; it has no leaf.
 * - Its concepts are the categories of all node types it binds to (`conceptMask`); `leafConceptMask`
 *   keeps only the leaves' own types, for studies that read categories at the leaf.
 * - Zero-length tokens are treated as covering one character at their position.
 *
 * Cost: one pass over the tree to precompute each node's path mask, then O(log L + k) per token, for
 * L leaves and k overlapped leaves. Spans are in UTF-16 code units (see parser.ts).
 */
import type { FlatTree } from '../languages/parser.ts';
import type { ConceptTaxonomy } from './concepts.ts';

export interface AlignedTree {
  tree: FlatTree;
  taxonomy: ConceptTaxonomy;
  /** Categories of the node's own type. */
  ownMask: Uint32Array;
  /** Categories of the node's type and every ancestor's type. */
  pathMask: Uint32Array;
  leafStart: Int32Array;
  leafEnd: Int32Array;
}

export interface TokenAlignment {
  /** Categories of every node the token binds to (leaves and ancestors). */
  conceptMask: Uint32Array;
  /** Categories of the overlapped leaves' own types. */
  leafConceptMask: Uint32Array;
  /** Range of overlapped leaves, as indices into `tree.leaves`: [firstLeaf, lastLeaf], -1 when none. */
  firstLeaf: Int32Array;
  lastLeaf: Int32Array;
  /** The deepest node containing the token, or its first overlapped leaf. */
  anchorNode: Int32Array;
}

export function prepareAlignment(tree: FlatTree, taxonomy: ConceptTaxonomy): AlignedTree {
  const n = tree.size;
  const ownMask = new Uint32Array(n);
  const pathMask = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const own = taxonomy.maskByTypeId[tree.typeId[i]];
    ownMask[i] = own;
    const p = tree.parent[i];
    pathMask[i] = p >= 0 ? own | pathMask[p] : own;
  }
  const L = tree.leaves.length;
  const leafStart = new Int32Array(L);
  const leafEnd = new Int32Array(L);
  for (let k = 0; k < L; k++) {
    leafStart[k] = tree.start[tree.leaves[k]];
    leafEnd[k] = tree.end[tree.leaves[k]];
  }
  return { tree, taxonomy, ownMask, pathMask, leafStart, leafEnd };
}

/** First leaf index k with leafEnd[k] > pos (leaves are sorted and disjoint). */
function firstLeafEndingAfter(leafEnd: Int32Array, pos: number): number {
  let lo = 0;
  let hi = leafEnd.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (leafEnd[mid] > pos) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The deepest node whose span contains [a, b): walk up from a nearby leaf. */
function deepestContaining(tree: FlatTree, nearLeaf: number, a: number, b: number): number {
  let node = nearLeaf;
  while (node > 0 && !(tree.start[node] <= a && tree.end[node] >= b)) node = tree.parent[node];
  return Math.max(node, 0);
}

/**
 * Align token spans given as a flat array [start0, end0, start1, end1, ...].
 */
export function alignSpans(aligned: AlignedTree, spans: ArrayLike<number>): TokenAlignment {
  const { tree, pathMask, ownMask, leafStart, leafEnd } = aligned;
  const count = spans.length >>> 1;
  const conceptMask = new Uint32Array(count);
  const leafConceptMask = new Uint32Array(count);
  const firstLeaf = new Int32Array(count).fill(-1);
  const lastLeaf = new Int32Array(count).fill(-1);
  const anchorNode = new Int32Array(count);
  const L = leafStart.length;
  for (let t = 0; t < count; t++) {
    const a = spans[2 * t];
    let b = spans[2 * t + 1];
    if (b <= a) b = a + 1;
    let k = firstLeafEndingAfter(leafEnd, a);
    let mask = 0;
    let leafMask = 0;
    const first = k;
    while (k < L && leafStart[k] < b) {
      if (leafEnd[k] > leafStart[k]) {
        const node = tree.leaves[k];
        mask |= pathMask[node];
        leafMask |= ownMask[node];
      }
      k++;
    }
    if (k > first) {
      firstLeaf[t] = first;
      lastLeaf[t] = k - 1;
      anchorNode[t] = tree.leaves[first];
    } else {
      const near = first < L ? tree.leaves[first] : L > 0 ? tree.leaves[L - 1] : 0;
      const node = deepestContaining(tree, near, a, b);
      anchorNode[t] = node;
      mask = pathMask[node];
    }
    conceptMask[t] = mask;
    leafConceptMask[t] = leafMask;
  }
  return { conceptMask, leafConceptMask, firstLeaf, lastLeaf, anchorNode };
}

/** Node types a token binds to: its leaves' types and every ancestor's type, leaves first. */
export function tokenNodeTypes(aligned: AlignedTree, alignment: TokenAlignment, token: number): { leaves: string[]; ancestors: string[] } {
  const { tree } = aligned;
  const name = (node: number) => (tree.typeId[node] === 0xffff ? 'ERROR' : tree.typeNames[tree.typeId[node]]);
  const leaves = new Set<string>();
  const ancestors = new Set<string>();
  const climb = (node: number) => {
    for (let p = tree.parent[node]; p >= 0; p = tree.parent[p]) ancestors.add(name(p));
  };
  if (alignment.firstLeaf[token] >= 0) {
    for (let k = alignment.firstLeaf[token]; k <= alignment.lastLeaf[token]; k++) {
      const node = tree.leaves[k];
      leaves.add(name(node));
      climb(node);
    }
  } else {
    const node = alignment.anchorNode[token];
    ancestors.add(name(node));
    climb(node);
  }
  return { leaves: [...leaves], ancestors: [...ancestors] };
}

/** Whitespace-separated tokens as spans: the simplest tokenization, used when no model is involved. */
export function whitespaceSpans(text: string): Int32Array {
  const out: number[] = [];
  const re = /\S+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m.index, m.index + m[0].length);
  return Int32Array.from(out);
}
