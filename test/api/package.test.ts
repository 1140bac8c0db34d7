/**
 * The library as a user imports it: everything here comes from 'codegen-eval' (the package's own
 * name, resolved through package.json "exports"), nothing from src/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestbed, openModel, scoreTestbed, ScoresReader, startServer, type TokenScores } from 'codegen-eval';
import { tempDir } from '../helpers.ts';

test('package: open a model, score a testbed, read the stored scores back as typed records, serve the model', async () => {
  const corpus = join(tempDir(), 'c.jsonl');
  writeFileSync(corpus, [
    { id: 'a', language: 'python', code: 'def f(a, b):\n    # add\n    return a + b\n' },
    { id: 'b', language: 'python', code: 'def g(x):\n    # twice\n    return 2 * x\n' },
  ].map((r) => JSON.stringify(r)).join('\n'));
  const testbed = join(tempDir(), 'tb');
  await buildTestbed({ corpus, out: testbed, intervention: 'remove-comments' });
  const model = await openModel('builtin:demo');
  const db = join(tempDir(), 'scores.duckdb');
  const summary = await scoreTestbed({ model, testbed, db, quiet: true });
  assert.equal(summary.rows, 4);

  const reader = await ScoresReader.open(db);
  try {
    const [run] = await reader.runs();
    assert.equal(run.modelKind, 'builtin');
    const snippets = await reader.snippets(run.runId);
    assert.deepEqual(snippets.map((s) => s.rowId), ['a#control', 'a#treated', 'b#control', 'b#treated']);
    assert.equal(snippets[0].pairId, 'a');
    assert.equal(typeof snippets[0].covariates.cyclomatic, 'number');
    assert.equal(snippets[0].covariates.modelTokens, snippets[0].metrics.tokens);
    const tokens = await reader.tokens(run.runId, 'a#control');
    const direct: TokenScores = await model.score('def f(a, b):\n    # add\n    return a + b\n', 'a#control');
    assert.deepEqual(tokens.map((t) => t.token), direct.tokens);
    assert.deepEqual(tokens.map((t) => t.tokenId), Array.from(direct.ids!));
    tokens.forEach((t, j) => assert.ok(Math.abs(t.logprob! - direct.logprobs[j]) < 1e-9));
    assert.ok(tokens.some((t) => t.concepts.includes('natural_language')) || tokens.some((t) => t.leafTypes.includes('comment')));
    const concepts = await reader.snippetConcepts(run.runId);
    assert.ok(concepts.length > 0 && concepts.every((c) => c.metrics.tokens > 0));
  } finally {
    reader.close();
  }

  const server = await startServer({ model, name: 'demo', port: 0 });
  try {
    const remote = await openModel(`openai:${server.url}#demo`);
    const text = 'def f(a, b):\n    return a + b\n';
    const [a, b] = [await model.score(text, 'x'), await remote.score(text, 'x')];
    assert.deepEqual(Array.from(b.offsets), Array.from(a.offsets));
    a.logprobs.forEach((v, j) => assert.ok(Math.abs(v - b.logprobs[j]) < 1e-6));
  } finally {
    await server.close();
    await model.dispose();
  }
});
