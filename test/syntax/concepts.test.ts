import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareAlignment } from '../../src/syntax/align.ts';
import { loadTaxonomy } from '../../src/syntax/concepts.ts';
import { LANGUAGES } from '../../src/languages/languages.ts';
import { countErrors, parseSource } from '../../src/languages/parser.ts';
import { ConfigError } from '../../src/util/errors.ts';
import { fixtureCode, tempDir } from '../helpers.ts';

for (const language of LANGUAGES) {
  test(`concepts: every default ${language} category is reached by tokens of real code`, async () => {
    const taxonomy = await loadTaxonomy(language);
    const tree = await parseSource(language, fixtureCode(language));
    assert.equal(countErrors(tree), 0, 'the fixture parses without errors');
    const aligned = prepareAlignment(tree, taxonomy);
    const reached = new Set<string>();
    for (const leaf of tree.leaves) for (const c of taxonomy.categories) if (aligned.pathMask[leaf] & (1 << c.bit)) reached.add(c.id);
    const missing = taxonomy.categories.map((c) => c.id).filter((id) => !reached.has(id));
    assert.deepEqual(missing, [], `categories never reached in the ${language} fixture`);
    assert.ok(taxonomy.categories.length >= 9);
  });
}

test('concepts: the Python default is the literature taxonomy', async () => {
  const t = await loadTaxonomy('python');
  const byId = Object.fromEntries(t.categories.map((c) => [c.id, c.nodeTypes]));
  assert.deepEqual(byId.iterative, ['for_statement', 'while_statement']);
  assert.deepEqual(byId.operator, ['comparison_operator', 'boolean_operator', 'binary_operator', 'unary_operator']);
  assert.deepEqual(byId.functional, ['for_in_clause', 'if_clause', 'list_comprehension', 'lambda']);
  assert.deepEqual(byId.natural_language, ['identifier', 'string', 'comment']);
  assert.deepEqual(byId.types, ['integer', 'float']);
  assert.deepEqual(byId.testing, ['assert_statement']);
});

test('concepts: an unknown node type is an error naming file, line and column', async () => {
  const dir = tempDir();
  const file = join(dir, 'bad.conf');
  writeFileSync(file, 'language = python\ncategories {\n  loops { nodes = [for_statement, for_loop] }\n}\n');
  await assert.rejects(loadTaxonomy('python', file), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /bad\.conf:3:35: 'for_loop' is not a node type of the python grammar/);
    return true;
  });
  writeFileSync(file, 'language = java\ncategories { x { nodes = [if_statement] } }\n');
  await assert.rejects(loadTaxonomy('python', file), /bad\.conf:1:12: this taxonomy is for java, not python/);
});

test('concepts: users extend a default taxonomy by including it', async () => {
  const dir = tempDir();
  const file = join(dir, 'mine.conf');
  const base = new URL('../../conf/concepts/python.conf', import.meta.url).pathname;
  writeFileSync(file, `include "${base}"\ncategories.imports { label = Imports, nodes = [import_statement, import_from_statement] }\ncategories.types.nodes = [integer, float, true, false, none]\n`);
  const t = await loadTaxonomy('python', file);
  const byId = Object.fromEntries(t.categories.map((c) => [c.id, c.nodeTypes]));
  assert.deepEqual(byId.imports, ['import_statement', 'import_from_statement']);
  assert.deepEqual(byId.types, ['integer', 'float', 'true', 'false', 'none']);
  assert.equal(t.categories.length, 11);
});
