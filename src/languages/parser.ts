/**
 * tree-sitter parsing through web-tree-sitter and the official grammars' .wasm files, and the flat,
 * typed-array form of a syntax tree that every later stage reads.
 *
 * Offsets are JavaScript string indices (UTF-16 code units), the unit web-tree-sitter reports for a
 * parsed JS string. Every span in codegen-eval uses this unit; converters from code points and UTF-8
 * bytes live in ./offsets.ts.
 */
import { Parser, Language, type Tree } from 'web-tree-sitter';
import { UserError } from '../util/errors.ts';
import { grammarWasmPath, languageSpec, type LanguageId } from './languages.ts';

/** tree-sitter gives ERROR nodes the type id 0xFFFF, outside the language's name table. */
export const ERROR_TYPE_ID = 0xffff;

let initialised: Promise<void> | undefined;
const languages = new Map<LanguageId, Promise<Language>>();
const parsers = new Map<LanguageId, Parser>();

async function init(): Promise<void> {
  initialised ??= Parser.init();
  await initialised;
}

export async function loadLanguage(id: LanguageId): Promise<Language> {
  await init();
  let lang = languages.get(id);
  if (!lang) {
    const path = grammarWasmPath(id);
    lang = Language.load(path).catch((error: unknown) => {
      languages.delete(id);
      throw new UserError(`cannot load the tree-sitter grammar for ${id} from ${path}: ${(error as Error).message}`, {
        hint: 'run `npm install` in the codegen-eval folder; the grammar ships inside the tree-sitter-' + id + ' package',
      });
    });
    languages.set(id, lang);
  }
  return lang;
}

/** A parser per language, created once; parsing is synchronous after the grammar has loaded. */
export async function getParser(id: LanguageId): Promise<Parser> {
  let parser = parsers.get(id);
  if (!parser) {
    const lang = await loadLanguage(id);
    parser = new Parser();
    parser.setLanguage(lang);
    parsers.set(id, parser);
  }
  return parser;
}

/**
 * A syntax tree as parallel arrays in pre-order. Node 0 is the root. Leaves are the nodes without
 * children; `leaves` lists them in source order (they never overlap).
 */
export interface FlatTree {
  language: LanguageId;
  source: string;
  size: number;
  start: Int32Array;
  end: Int32Array;
  /** tree-sitter type id; `typeNames[typeId]` is the type's name. */
  typeId: Uint16Array;
  parent: Int32Array;
  depth: Uint16Array;
  named: Uint8Array;
  /** 1 for ERROR nodes and MISSING nodes. */
  error: Uint8Array;
  /** Index of the field name in `fieldNames`, 0 when the node fills no field. */
  fieldId: Uint16Array;
  childCount: Uint32Array;
  leaves: Int32Array;
  typeNames: readonly string[];
  fieldNames: readonly (string | null)[];
}

const typeNameCache = new WeakMap<Language, string[]>();
const fieldNameCache = new WeakMap<Language, (string | null)[]>();

const namedCache = new WeakMap<Language, Uint8Array>();

function namedTypesOf(lang: Language): Uint8Array {
  let named = namedCache.get(lang);
  if (!named) {
    named = new Uint8Array(lang.nodeTypeCount);
    for (let i = 0; i < lang.nodeTypeCount; i++) named[i] = lang.nodeTypeIsNamed(i) ? 1 : 0;
    namedCache.set(lang, named);
  }
  return named;
}

export function typeNamesOf(lang: Language): string[] {
  let names = typeNameCache.get(lang);
  if (!names) {
    names = [];
    for (let i = 0; i < lang.nodeTypeCount; i++) names.push(lang.nodeTypeForId(i) ?? '');
    typeNameCache.set(lang, names);
  }
  return names;
}

function fieldNamesOf(lang: Language): (string | null)[] {
  let names = fieldNameCache.get(lang);
  if (!names) {
    names = [null];
    for (let i = 1; i <= lang.fieldCount; i++) names.push(lang.fieldNameForId(i));
    fieldNameCache.set(lang, names);
  }
  return names;
}

export function flattenTree(tree: Tree, language: LanguageId, source: string): FlatTree {
  const lang = tree.language;
  const count = tree.rootNode.descendantCount;
  const start = new Int32Array(count);
  const end = new Int32Array(count);
  const typeId = new Uint16Array(count);
  const parent = new Int32Array(count);
  const depth = new Uint16Array(count);
  const named = new Uint8Array(count);
  const error = new Uint8Array(count);
  const fieldId = new Uint16Array(count);
  const childCount = new Uint32Array(count);
  const leaves: number[] = [];
  const namedById = namedTypesOf(lang);
  // error checks cost two wasm calls per node; a tree without errors needs none
  const mayHaveErrors = tree.rootNode.hasError;
  const cursor = tree.walk();
  let n = 0;
  let current = -1;
  let level = 0;
  // iterative pre-order walk
  for (;;) {
    const i = n++;
    start[i] = cursor.startIndex;
    end[i] = cursor.endIndex;
    const id = cursor.nodeTypeId;
    typeId[i] = id;
    parent[i] = current;
    depth[i] = level;
    named[i] = id === ERROR_TYPE_ID ? 1 : namedById[id];
    fieldId[i] = cursor.currentFieldId;
    if (mayHaveErrors && (id === ERROR_TYPE_ID || cursor.nodeIsMissing)) error[i] = 1;
    if (current >= 0) childCount[current]++;
    if (cursor.gotoFirstChild()) {
      current = i;
      level++;
      continue;
    }
    leaves.push(i);
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) {
        cursor.delete();
        return {
          language, source, size: n, start, end, typeId, parent, depth, named, error, fieldId, childCount,
          leaves: Int32Array.from(leaves), typeNames: typeNamesOf(lang), fieldNames: fieldNamesOf(lang),
        };
      }
      current = parent[current];
      level--;
    }
  }
}

/** Parse source text and return its flat tree. */
export async function parseSource(language: LanguageId, source: string): Promise<FlatTree> {
  const parser = await getParser(language);
  return parseWith(parser, language, source);
}

export function parseWith(parser: Parser, language: LanguageId, source: string): FlatTree {
  const wrapper = languageSpec(language).snippetWrapper?.(source);
  const text = wrapper ? wrapper.prefix + source + wrapper.suffix : source;
  const tree = parser.parse(text);
  if (!tree) throw new Error(`tree-sitter returned no tree for a ${language} snippet`);
  try {
    const flat = flattenTree(tree, language, text);
    return wrapper ? unwrap(flat, wrapper.prefix.length, source) : flat;
  } finally {
    tree.delete();
  }
}

/**
 * Remove a wrapper's nodes: keep the root and every node lying inside the snippet's region, re-parent
 * orphans to the root and shift offsets back to the snippet.
 */
function unwrap(tree: FlatTree, offset: number, source: string): FlatTree {
  const lo = offset;
  const hi = offset + source.length;
  const keep: number[] = [0];
  for (let i = 1; i < tree.size; i++) if (tree.start[i] >= lo && tree.end[i] <= hi) keep.push(i);
  const newIndex = new Int32Array(tree.size).fill(-1);
  keep.forEach((old, k) => (newIndex[old] = k));
  const n = keep.length;
  const out: FlatTree = {
    ...tree,
    source,
    size: n,
    start: new Int32Array(n),
    end: new Int32Array(n),
    typeId: new Uint16Array(n),
    parent: new Int32Array(n),
    depth: new Uint16Array(n),
    named: new Uint8Array(n),
    error: new Uint8Array(n),
    fieldId: new Uint16Array(n),
    childCount: new Uint32Array(n),
    leaves: new Int32Array(0),
  };
  const leaves: number[] = [];
  keep.forEach((old, k) => {
    out.start[k] = k === 0 ? 0 : tree.start[old] - lo;
    out.end[k] = k === 0 ? source.length : tree.end[old] - lo;
    out.typeId[k] = tree.typeId[old];
    out.named[k] = tree.named[old];
    out.error[k] = tree.error[old];
    out.fieldId[k] = k === 0 ? 0 : tree.fieldId[old];
    let p = k === 0 ? -1 : tree.parent[old];
    while (p > 0 && newIndex[p] < 0) p = tree.parent[p];
    out.parent[k] = k === 0 ? -1 : Math.max(0, newIndex[Math.max(p, 0)]);
    out.depth[k] = k === 0 ? 0 : out.depth[out.parent[k]] + 1;
    if (k > 0) out.childCount[out.parent[k]]++;
  });
  for (let k = 0; k < n; k++) if (out.childCount[k] === 0) leaves.push(k);
  out.leaves = Int32Array.from(leaves);
  return out;
}

export function typeName(tree: FlatTree, node: number): string {
  const id = tree.typeId[node];
  return id === ERROR_TYPE_ID ? 'ERROR' : tree.typeNames[id];
}

export function fieldName(tree: FlatTree, node: number): string | null {
  return tree.fieldNames[tree.fieldId[node]] ?? null;
}

export function nodeText(tree: FlatTree, node: number): string {
  return tree.source.slice(tree.start[node], tree.end[node]);
}

/** Children of a node, in order (pre-order layout: each child follows its previous sibling's subtree). */
export function childrenOf(tree: FlatTree, node: number): number[] {
  const out: number[] = [];
  const count = tree.childCount[node];
  let child = node + 1;
  for (let k = 0; k < count; k++) {
    out.push(child);
    child = subtreeEnd(tree, child);
  }
  return out;
}

/** One past the last node of `node`'s subtree in pre-order. */
export function subtreeEnd(tree: FlatTree, node: number): number {
  const d = tree.depth[node];
  let j = node + 1;
  while (j < tree.size && tree.depth[j] > d) j++;
  return j;
}

export function countErrors(tree: FlatTree): number {
  let n = 0;
  for (let i = 0; i < tree.size; i++) n += tree.error[i];
  return n;
}
