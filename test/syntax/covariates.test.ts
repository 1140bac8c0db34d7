import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeCovariates } from '../../src/syntax/covariates.ts';
import { parseSource } from '../../src/languages/parser.ts';

test('covariates: Python snippet against hand counts', async () => {
  const code = [
    'def f(a, b):',
    '    """Add."""',
    '    # note',
    '    if a and b:',
    '        return a + b',
    '',
    '    return 0',
    '',
  ].join('\n');
  const c = computeCovariates(await parseSource('python', code));
  assert.equal(c.chars, 90);
  assert.equal(c.lines, 7);
  assert.equal(c.nonBlankLines, 6);
  assert.equal(c.whitespace, 41);
  assert.equal(c.words, 16);
  assert.equal(c.vocabSize, 14);
  assert.equal(c.identifiers, 7); // f a b | a b | a b
  assert.equal(c.cyclomatic, 3); // 1 + if + and
  assert.equal(c.astDepth, 8); // module > function_definition > block > if_statement > block > return_statement > binary_operator > identifier
  assert.equal(c.errorNodes, 0);
  assert.equal(c.comments, 1);
  assert.equal(c.commentChars, 6);
  assert.equal(c.docstrings, 1);
  assert.equal(c.docstringChars, 10);
});

test('covariates: cyclomatic complexity counts cases, ternaries and short-circuit operators (Java)', async () => {
  const code = 'int g(int x) {\n  switch (x) { case 1: return 1; case 2: return 2; default: return x > 0 && x < 9 ? 1 : 0; }\n}';
  const c = computeCovariates(await parseSource('java', code));
  assert.equal(c.cyclomatic, 5); // 1 + case + case + && + ?:
  assert.equal(c.errorNodes, 0);
});

test('covariates: Ruby keywords that share a node name are counted once', async () => {
  const code = 'def h(a)\n  return 1 if a\n  while a\n    a -= 1\n  end\n  a && b\nend\n';
  const c = computeCovariates(await parseSource('ruby', code));
  assert.equal(c.cyclomatic, 4); // 1 + if-modifier + while + &&
});

test('covariates: doc comments above a function are docstrings; other comments are comments', async () => {
  const go = computeCovariates(await parseSource('go', '// Add adds.\nfunc Add(a, b int) int {\n\t// sum\n\treturn a + b\n}\n'));
  assert.equal(go.docstrings, 1);
  assert.equal(go.docstringChars, 12);
  assert.equal(go.comments, 1);
  assert.equal(go.identifiers, 7); // Add a b int int | a b (type_identifier counts for Go)
});

test('covariates: an unparsable snippet reports its error nodes', async () => {
  const c = computeCovariates(await parseSource('python', 'def f(:\n    return )\n'));
  assert.ok(c.errorNodes > 0);
});
