import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countErrors, nodeText, parseSource, typeName, childrenOf } from '../../src/languages/parser.ts';
import { languageSpec } from '../../src/languages/languages.ts';
import { fixtureCode } from '../helpers.ts';

test('parser: flat tree invariants (pre-order, parents, leaves in order)', async () => {
  const tree = await parseSource('python', fixtureCode('python'));
  for (let i = 1; i < tree.size; i++) {
    const p = tree.parent[i];
    assert.ok(p >= 0 && p < i, 'parent precedes child');
    assert.equal(tree.depth[i], tree.depth[p] + 1);
    assert.ok(tree.start[i] >= tree.start[p] && tree.end[i] <= tree.end[p], 'child inside parent');
  }
  for (let k = 1; k < tree.leaves.length; k++) assert.ok(tree.start[tree.leaves[k]] >= tree.end[tree.leaves[k - 1]]);
  const kids = childrenOf(tree, 0);
  assert.equal(kids.length, tree.childCount[0]);
  assert.equal(typeName(tree, kids[0]), 'expression_statement'); // the module docstring
});

test('parser: class members on their own parse as members, with offsets of the snippet', async () => {
  const cases = [
    { language: 'java' as const, code: '/** Doc. */\npublic Matrix(int size) {\n  this.n = size;\n}', unit: 'constructor_declaration' },
    { language: 'java' as const, code: '@Override\npublic String toString() { return "m"; }', unit: 'method_declaration' },
    { language: 'javascript' as const, code: '// Adds.\nadd(name, price) {\n  return this.items.push(name);\n}', unit: 'method_definition' },
    { language: 'javascript' as const, code: 'static async *gen() { yield 1; }', unit: 'method_definition' },
    { language: 'php' as const, code: "/** doc */\npublic function add($a, $b)\n{\n    return $a + $b;\n}", unit: 'method_declaration' },
  ];
  for (const { language, code, unit } of cases) {
    const tree = await parseSource(language, code);
    assert.equal(countErrors(tree), 0, `${language}: ${code}`);
    assert.equal(tree.source, code);
    assert.equal(tree.start[0], 0);
    assert.equal(tree.end[0], code.length);
    const node = Array.from({ length: tree.size }, (_, i) => i).find((i) => typeName(tree, i) === unit);
    assert.ok(node !== undefined, `${unit} in ${code}`);
    assert.ok(nodeText(tree, node).endsWith('}'));
    for (const leaf of tree.leaves) assert.ok(tree.end[leaf] <= code.length);
  }
});

test('parser: whole files and plain functions are not wrapped', () => {
  assert.equal(languageSpec('java').snippetWrapper!(fixtureCode('java')), undefined);
  assert.equal(languageSpec('java').snippetWrapper!('import java.util.List;\nclass A {}'), undefined);
  assert.equal(languageSpec('javascript').snippetWrapper!('function f(a) { return a; }'), undefined);
  assert.equal(languageSpec('javascript').snippetWrapper!('if (a) { b(); }'), undefined);
  assert.equal(languageSpec('php').snippetWrapper!('function f($a) { return $a; }'), undefined);
});
