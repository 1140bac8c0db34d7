import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignSpans, prepareAlignment, tokenNodeTypes, whitespaceSpans } from '../../src/syntax/align.ts';
import { conceptIds, taxonomyFor } from '../../src/syntax/concepts.ts';
import { codePointToUtf16Table, utf8ToUtf16Table } from '../../src/syntax/offsets.ts';
import { parseSource, typeName } from '../../src/languages/parser.ts';
import type { LanguageId } from '../../src/languages/languages.ts';

async function align(language: LanguageId, code: string, tokens: string[]) {
  // tokens must concatenate to the code: they are a tokenization of it
  assert.equal(tokens.join(''), code);
  const spans: number[] = [];
  let pos = 0;
  for (const t of tokens) {
    spans.push(pos, pos + t.length);
    pos += t.length;
  }
  const taxonomy = await taxonomyFor(language);
  const tree = await parseSource(language, code);
  const aligned = prepareAlignment(tree, taxonomy);
  const result = alignSpans(aligned, spans);
  return tokens.map((text, i) => ({
    text,
    leaves: tokenNodeTypes(aligned, result, i).leaves,
    ancestors: tokenNodeTypes(aligned, result, i).ancestors,
    concepts: conceptIds(taxonomy, result.conceptMask[i]),
    leafConcepts: conceptIds(taxonomy, result.leafConceptMask[i]),
    anchor: typeName(tree, result.anchorNode[i]),
  }));
}

test('align: BPE-like subwords bind to every leaf they overlap', async () => {
  const t = await align('python', 'x = foo(a)', ['x', ' =', ' fo', 'o(', 'a)']);
  assert.deepEqual(t[0].leaves, ['identifier']);
  assert.deepEqual(t[0].ancestors, ['assignment', 'expression_statement', 'module']);
  assert.deepEqual(t[0].concepts, ['natural_language']);
  assert.deepEqual(t[1].leaves, ['=']); // the leading space belongs to no leaf; the '=' does
  assert.deepEqual(t[1].concepts, []);
  assert.deepEqual(t[2].leaves, ['identifier']);
  assert.deepEqual(t[3].leaves, ['identifier', '(']); // straddles the name and the parenthesis
  assert.deepEqual(t[3].concepts, ['natural_language']); // '(' is not in the Python Scope group, ')' is
  assert.deepEqual(t[4].leaves, ['identifier', ')']);
  assert.deepEqual(t[4].concepts, ['scope', 'natural_language']);
});

test('align: ancestors give concepts; leaf concepts keep only the leaf', async () => {
  const t = await align('python', 'if x>1:\n    pass\n', ['if', ' ', 'x', '>1:', '\n    pass\n']);
  assert.deepEqual(t[0].concepts, ['decision']);
  assert.deepEqual(t[2].concepts, ['decision', 'operator', 'natural_language']);
  assert.deepEqual(t[2].leafConcepts, ['natural_language']);
  assert.deepEqual(t[3].leaves, ['>', 'integer', ':']);
  assert.deepEqual(t[3].concepts, ['scope', 'decision', 'operator', 'types']);
  assert.deepEqual(t[3].leafConcepts, ['scope', 'types']);
});

test('align: a whitespace token binds to the deepest node containing it', async () => {
  const code = 'if x:\n    y = 1\n    z = 2\n';
  const t = await align('python', code, ['if x:', '\n    y = 1', '\n    ', 'z = 2', '\n']);
  assert.deepEqual(t[2].leaves, []);
  assert.equal(t[2].anchor, 'block');
  assert.deepEqual(t[2].concepts, ['decision']);
  assert.equal(t[4].anchor, 'module'); // the final newline lies outside the if statement
  assert.deepEqual(t[4].concepts, []);
});

test('align: multi-byte characters, with code-point and UTF-8 offsets converted', async () => {
  const code = 's = "é😀"';
  // spans in UTF-16 code units: the emoji is two units long
  const t = await align('python', code, ['s = "', 'é', '😀', '"']);
  assert.deepEqual(t[1].leaves, ['string_content']);
  assert.deepEqual(t[2].leaves, ['string_content']);
  assert.deepEqual(t[2].concepts, ['natural_language']);
  assert.deepEqual(t[3].leaves, ['string_end']);
  assert.deepEqual(Array.from(codePointToUtf16Table(code)), [0, 1, 2, 3, 4, 5, 6, 8, 9]);
  const bytes = utf8ToUtf16Table(code);
  assert.equal(bytes[5], 5); // é starts at byte 5
  assert.equal(bytes[6], 5); // its second byte maps to its start
  assert.equal(bytes[7], 6); // 😀 starts at byte 7
  assert.equal(bytes[11], 8); // the closing quote
  assert.equal(bytes[12], 9);
});

test('align: a keyword inside an identifier is not a keyword (Java notify)', async () => {
  const t = await align('java', 'void notify() { if (a) notify(); }', ['void', ' notify', '()', ' {', ' if', ' (a)', ' notify', '();', ' }']);
  assert.deepEqual(t[1].concepts, ['natural_language']);
  assert.deepEqual(t[4].concepts, ['decision']);
  assert.ok(t[6].concepts.includes('decision')); // inside the if statement: its ancestor
  assert.ok(t[6].concepts.includes('natural_language'));
});

test('align: whitespace tokenization covers every non-space character once', async () => {
  const code = 'def f(a):\n    return a  # done\n';
  const spans = whitespaceSpans(code);
  assert.deepEqual(Array.from(spans), [0, 3, 4, 9, 14, 20, 21, 22, 24, 25, 26, 30]);
  const taxonomy = await taxonomyFor('python');
  const tree = await parseSource('python', code);
  const r = alignSpans(prepareAlignment(tree, taxonomy), spans);
  assert.deepEqual(conceptIds(taxonomy, r.conceptMask[5]), ['natural_language']); // "done" is in the comment
});
