/**
 * The measured work, shared by the main thread and the workers: raw tree-sitter (the anchor) and
 * codegen-eval's parse + flatten + alignment + covariates.
 */
import type { Snippet } from '../src/corpus/types.ts';
import { alignSpans, prepareAlignment } from '../src/syntax/align.ts';
import { taxonomyFor } from '../src/syntax/concepts.ts';
import { computeCovariates } from '../src/syntax/covariates.ts';
import { getParser, parseWith } from '../src/languages/parser.ts';

/** Anchor: parse and visit every node with a tree cursor, as any tree-sitter client must. */
export async function rawTreeSitter(snippets: Snippet[]): Promise<number> {
  let nodes = 0;
  for (const s of snippets) {
    const parser = await getParser(s.language);
    const tree = parser.parse(s.code)!;
    const cursor = tree.walk();
    for (;;) {
      nodes++;
      if (cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) break;
      }
      if (cursor.currentDepth === 0) break;
    }
    cursor.delete();
    tree.delete();
  }
  return nodes;
}

/** Subword-like spans: runs of letters or digits cut into pieces of at most four characters, and single symbols. */
export function subwordSpans(code: string): Int32Array {
  const out: number[] = [];
  const re = /[\p{L}\p{N}_]+|\S/gu;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    for (let k = 0; k < m[0].length; k += 4) out.push(m.index + k, m.index + Math.min(m[0].length, k + 4));
  }
  return Int32Array.from(out);
}

/** codegen-eval: parse to a flat tree, align subword tokens to concepts, measure covariates. */
export async function parseAlignCovariates(snippets: Snippet[], spans: Int32Array[]): Promise<number> {
  let tokens = 0;
  for (let i = 0; i < snippets.length; i++) {
    const s = snippets[i];
    const parser = await getParser(s.language);
    const tree = parseWith(parser, s.language, s.code);
    const aligned = prepareAlignment(tree, await taxonomyFor(s.language));
    tokens += alignSpans(aligned, spans[i]).conceptMask.length;
    computeCovariates(tree);
  }
  return tokens;
}
