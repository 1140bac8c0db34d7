import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractUnits } from '../../src/corpus/sourceTree.ts';
import type { Snippet } from '../../src/corpus/types.ts';
import { taxonomyFor } from '../../src/syntax/concepts.ts';
import { computeCovariates } from '../../src/syntax/covariates.ts';
import { LANGUAGES, type LanguageId } from '../../src/languages/languages.ts';
import { countErrors, getParser, nodeText, parseSource, parseWith, type FlatTree } from '../../src/languages/parser.ts';
import { findIntervention, resolveParams } from '../../src/testbeds/registry.ts';
import type { Intervention, InterventionOutcome, Params } from '../../src/testbeds/types.ts';
import { verifyTreated } from '../../src/testbeds/verify.ts';
import { createRandom } from '../../src/util/random.ts';
import { CODE_FIXTURES, fixtureCode } from '../helpers.ts';

async function units(language: LanguageId): Promise<Snippet[]> {
  const out: Snippet[] = [];
  for await (const u of extractUnits(fixtureCode(language), language, CODE_FIXTURES[language])) out.push(u);
  return out;
}

async function apply(name: string, snippet: Snippet, given: Record<string, unknown> = {}, seed = 1): Promise<{ outcome: InterventionOutcome; tree: FlatTree; intervention: Intervention; params: Params }> {
  const intervention = findIntervention(name)!;
  const params = resolveParams(name, intervention.params, given);
  const tree = await parseSource(snippet.language, snippet.code);
  const parser = await getParser(snippet.language);
  const parse = (code: string) => parseWith(parser, snippet.language, code);
  const outcome = intervention.apply({ snippet, tree, taxonomy: await taxonomyFor(snippet.language), params, random: createRandom(seed), parse });
  return { outcome, tree, intervention, params };
}

function snippetOf(language: LanguageId, code: string): Snippet {
  return { id: 'x', language, code, provenance: { file: 'x' }, fields: {} };
}

const leafTexts = (t: FlatTree) => Array.from(t.leaves, (n) => nodeText(t, n)).filter((s) => s.length > 0);

for (const language of LANGUAGES) {
  test(`interventions on real ${language} functions keep what they promise`, async () => {
    const snippets = await units(language);
    assert.ok(snippets.length >= 2);
    const made: Record<string, number> = {};
    for (const snippet of snippets) {
      for (const name of ['remove-comments', 'rename-identifiers', 'inject-bug', 'reformat-whitespace']) {
        const { outcome, tree, intervention } = await apply(name, snippet);
        if (!outcome.ok) continue;
        made[name] = (made[name] ?? 0) + 1;
        const treated = await parseSource(language, outcome.treated);
        assert.equal(verifyTreated(intervention, tree, treated), undefined, `${name} on ${snippet.id}:\n${outcome.treated}`);
        assert.equal(countErrors(treated), 0, `${name} on ${snippet.id} parses`);
        if (name === 'remove-comments') {
          const c = computeCovariates(treated);
          assert.equal(c.comments + c.docstrings, 0, `no comment left in\n${outcome.treated}`);
        }
        if (name === 'reformat-whitespace') assert.deepEqual(leafTexts(treated), leafTexts(tree), 'tokens unchanged');
        if (name === 'rename-identifiers') {
          const mapping = outcome.meta.renamed as Record<string, string>;
          assert.equal(new Set(Object.values(mapping)).size, Object.keys(mapping).length, 'injective');
          // consistent: the old and new leaf sequences correspond one to one through the mapping
          const before = leafTexts(tree);
          const after = leafTexts(treated);
          const seen = new Map<string, string>();
          before.forEach((text, i) => {
            if (text === after[i]) return;
            assert.equal(mapping[text], after[i], `${text} renamed to its mapped name`);
            assert.equal(seen.get(text) ?? after[i], after[i]);
            seen.set(text, after[i]);
          });
        }
        if (name === 'inject-bug') {
          const [m] = outcome.meta.mutations as { start: number; end: number; replacement: string; original: string; operator: string }[];
          assert.equal(snippet.code.slice(0, m.start) + m.replacement + snippet.code.slice(m.end), outcome.treated);
          assert.notEqual(outcome.treated, snippet.code);
        }
      }
    }
    for (const name of ['remove-comments', 'rename-identifiers', 'inject-bug', 'reformat-whitespace']) assert.ok(made[name] >= 1, `${name} applied at least once in ${language}`);
  });
}

test('rename-identifiers: Python locals renamed, attributes, keywords and self kept', async () => {
  const code = 'def scale(self, items, factor=2):\n    total = 0\n    for name, count in items.items():\n        total += count * factor\n    return self.apply(total, factor=factor)\n';
  const { outcome } = await apply('rename-identifiers', snippetOf('python', code));
  assert.ok(outcome.ok);
  assert.equal(outcome.treated, 'def scale(self, v0, v1=2):\n    v2 = 0\n    for v3, v4 in v0.items():\n        v2 += v4 * v1\n    return self.apply(v2, factor=v1)\n');
  assert.deepEqual(outcome.meta.renamed, { items: 'v0', factor: 'v1', total: 'v2', name: 'v3', count: 'v4' });
});

test('rename-identifiers: new names avoid names already used; JS shorthand properties are left alone', async () => {
  const code = 'function f(a, v0) {\n  const b = { a };\n  return b.a + v0;\n}';
  const { outcome } = await apply('rename-identifiers', snippetOf('javascript', code));
  assert.ok(outcome.ok);
  assert.deepEqual(outcome.meta.renamed, { v0: 'v1', b: 'v2' });
  assert.equal(outcome.treated, 'function f(a, v1) {\n  const v2 = { a };\n  return v2.a + v1;\n}');
});

test('rename-identifiers: PHP variables keep their $ and $this', async () => {
  const code = 'function f($a) { $b = $a + $this->c; return $b; }';
  const { outcome } = await apply('rename-identifiers', snippetOf('php', code));
  assert.ok(outcome.ok);
  assert.equal(outcome.treated, 'function f($v0) { $v1 = $v0 + $this->c; return $v1; }');
});

test('inject-bug: the mutation is recorded, seeded, and limited to the chosen operators', async () => {
  const code = 'def f(a, b):\n    if a < b:\n        return a + 1\n    return b\n';
  const s = snippetOf('python', code);
  const { outcome } = await apply('inject-bug', s, { operators: 'comparison' });
  assert.ok(outcome.ok);
  assert.deepEqual(outcome.meta.mutations, [{ operator: 'comparison', original: '<', replacement: '>=', start: 22, end: 23, line: 2 }]);
  assert.equal(outcome.treated, code.replace('a < b', 'a >= b'));
  const negated = await apply('inject-bug', s, { operators: 'negate-condition' });
  assert.ok(negated.outcome.ok);
  assert.equal(negated.outcome.treated, code.replace('if a < b:', 'if not (a < b):'));
  const offByOne = await apply('inject-bug', s, { operators: 'off-by-one' });
  assert.ok(offByOne.outcome.ok);
  assert.equal(offByOne.outcome.treated, code.replace('a + 1', 'a + 2'));
  // different seeds draw different sites; the same seed the same site
  const draws = new Set<string>();
  for (let seed = 0; seed < 20; seed++) {
    const r = await apply('inject-bug', s, {}, seed);
    assert.ok(r.outcome.ok);
    draws.add(r.outcome.treated);
    const again = await apply('inject-bug', s, {}, seed);
    assert.ok(again.outcome.ok);
    assert.equal(again.outcome.treated, r.outcome.treated);
  }
  assert.ok(draws.size >= 4, `${draws.size} distinct mutants`);
  const none = await apply('inject-bug', snippetOf('python', 'def f():\n    return g()\n'));
  assert.deepEqual(none.outcome, { ok: false, reason: 'no mutable operator, literal or condition' });
});

test('inject-bug: JavaScript and Go conditions are negated validly', async () => {
  const js = await apply('inject-bug', snippetOf('javascript', 'function f(x) { if (x.ok) { return 1; } }'), { operators: 'negate-condition' });
  assert.ok(js.outcome.ok);
  assert.equal(js.outcome.treated, 'function f(x) { if (!(x.ok)) { return 1; } }');
  const go = await apply('inject-bug', snippetOf('go', 'func f(x bool) int {\n\tif x {\n\t\treturn 1\n\t}\n\treturn 0\n}'), { operators: 'negate-condition' });
  assert.ok(go.outcome.ok);
  assert.match(go.outcome.treated, /if !\(x\) \{/);
});

test('mask-node: every node of the type is masked and recorded; the random control masks as many leaves', async () => {
  const code = 'def f(a):\n    if a:\n        return 1\n    if not a:\n        return 2\n';
  const { outcome } = await apply('mask-node', snippetOf('python', code), { nodeType: 'return_statement' });
  assert.ok(outcome.ok);
  assert.equal(outcome.treated, 'def f(a):\n    if a:\n        <mask>\n    if not a:\n        <mask>\n');
  const masked = outcome.meta.masked as { text: string; maskedStart: number; maskedEnd: number }[];
  assert.deepEqual(masked.map((m) => m.text), ['return 1', 'return 2']);
  for (const m of masked) assert.equal(outcome.treated.slice(m.maskedStart, m.maskedEnd), '<mask>');
  assert.equal(outcome.control!.split('<mask>').length - 1, 2);
  const original = await apply('mask-node', snippetOf('python', code), { nodeType: 'return_statement', control: 'original' });
  assert.ok(original.outcome.ok);
  assert.equal(original.outcome.control, undefined);
  assert.throws(() => resolveParams('mask-node', findIntervention('mask-node')!.params, {}), /needs --param nodeType/);
});

test('drop-type-annotations: parameters, defaults, returns and annotated assignments', async () => {
  const code = 'def f(a: int, b: str = "x") -> List[int]:\n    c: int = 1\n    d: float\n    return [a, c]\n';
  const { outcome } = await apply('drop-type-annotations', snippetOf('python', code));
  assert.ok(outcome.ok);
  assert.equal(outcome.treated, 'def f(a, b = "x"):\n    c = 1\n    pass\n    return [a, c]\n');
  assert.equal(countErrors(await parseSource('python', outcome.treated)), 0);
});

test('remove-comments: a docstring alone in its body becomes pass; trailing comments go with their spaces', async () => {
  const code = 'def f():\n    """Only a docstring."""\n\ndef g(x):\n    # lead\n    return x  # trail\n';
  const { outcome } = await apply('remove-comments', snippetOf('python', code));
  assert.ok(outcome.ok);
  assert.equal(outcome.treated, 'def f():\n    pass\n\ndef g(x):\n    return x\n');
});

test('reformat-whitespace: re-indents by level and compacts spaces, leaving strings alone', async () => {
  const code = 'def f(a, b):\n    if a :\n        return "x  y" + b\n    return  a\n';
  const { outcome } = await apply('reformat-whitespace', snippetOf('python', code));
  assert.ok(outcome.ok);
  assert.equal(outcome.treated, 'def f(a,b):\n  if a:\n    return"x  y"+b\n  return a\n');
});
