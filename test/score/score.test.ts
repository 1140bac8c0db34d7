import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScoresReader } from '../../src/score/store.ts';
import { openModel } from '../../src/models/index.ts';
import { openBuiltin } from '../../src/models/builtin.ts';
import { aggregateSnippet } from '../../src/score/aggregate.ts';
import { scoreTestbed } from '../../src/score/score.ts';
import { taxonomyFor } from '../../src/syntax/concepts.ts';
import { parseSource } from '../../src/languages/parser.ts';
import { tf } from '../../src/train/backend.ts';
import { loadTrainConfig } from '../../src/train/config.ts';
import { createModel } from '../../src/train/models/index.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { CodeTokenizer } from '../../src/train/tokenizer.ts';
import { train } from '../../src/train/trainer.ts';
import { buildTestbed } from '../../src/testbeds/build.ts';
import { tempDir } from '../helpers.ts';

const CORPUS = fileURLToPath(new URL('../../testbeds/corpus/default.jsonl.gz', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));
let modelDir: string | undefined;
let testbedDir: string | undefined;

/** A tiny GPT trained in the test (seconds) and a small testbed. */
async function fixtures(): Promise<{ model: string; testbed: string }> {
  if (!modelDir) {
    modelDir = tempDir();
    const config = loadTrainConfig(undefined, ['model.type=gpt', 'model.context=16', 'model.width=32', 'model.layers=1', 'model.heads=2', 'tokenizer.vocabSize=300', 'train.batchSize=8', 'train.maxSteps=15', 'train.evalEvery=15', 'train.evalBatches=1', 'train.lr=0.01', 'train.backend=wasm', 'model.dropout=0']);
    await train({ config, corpus: CORPUS, out: modelDir, quiet: true });
  }
  if (!testbedDir) {
    testbedDir = join(tempDir(), 'tb');
    await buildTestbed({ corpus: CORPUS, out: testbedDir, intervention: 'inject-bug', limitPerLanguage: 6 });
  }
  return { model: modelDir, testbed: testbedDir };
}

async function tableRows(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await ScoresReader.open(db);
  try {
    return await reader.rows(sql);
  } finally {
    reader.close();
  }
}

test('builtin: token j+1 is scored from position j (the shift), with every token inside one window', async () => {
  const { model: dir } = await fixtures();
  const scorer = await openBuiltin('builtin:test', dir, { backend: 'wasm' });
  const text = 'x = f(1)\n';
  const scores = await scorer.score(text, 'x');
  // direct computation: logits of [eos, t1..tn]; token j (1-based) is read at position j - 1
  const tokenizer = await CodeTokenizer.load(dir);
  const { ids } = tokenizer.encode(text);
  assert.ok(ids.length <= 16, 'fits in one window');
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const model = createModel(cfg.model, tokenizer.vocabSize, 0);
  await loadCheckpoint(join(dir, 'best'), model.params);
  const eos = tokenizer.tokenId('<|endoftext|>')!;
  const seq = [eos, ...ids];
  const logp = tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor2d(seq, [1, seq.length], 'int32'), false, 0)).arraySync() as number[][][]);
  ids.forEach((id, j) => {
    assert.ok(Math.abs(scores.logprobs[j] - logp[0][j][id]) < 1e-4, `token ${j}: ${scores.logprobs[j]} vs ${logp[0][j][id]}`);
    // the wrong shift (reading position j + 1) would differ
  });
  assert.ok(ids.some((id, j) => j + 1 < ids.length && Math.abs(logp[0][j + 1][id] - logp[0][j][id]) > 1e-3), 'the two shifts are distinguishable');
  assert.equal(scores.tokens.join(''), text);
  assert.ok(scores.ranks!.every((r) => r >= 1 && r <= tokenizer.vocabSize));
  assert.ok(Array.from(scores.entropy!).every((e) => e >= 0 && e <= Math.log(tokenizer.vocabSize) + 1e-4));
  // a text longer than the context: sliding windows give every token a finite score
  const long = 'x = 1\n'.repeat(30);
  const windowed = await scorer.score(long, 'y');
  assert.ok(windowed.logprobs.length > 32);
  assert.ok(windowed.logprobs.every((v) => Number.isFinite(v) && v <= 0));
  const first = await scorer.score(long.slice(0, 12), 'z');
  for (let j = 0; j < first.logprobs.length - 1; j++) assert.ok(Math.abs(first.logprobs[j] - windowed.logprobs[j]) < 1e-4, 'the first window equals scoring the prefix alone');
  // batched scoring (windows of several texts in one forward pass) gives each text's own scores exactly
  const texts = [long, text, long.slice(0, 40), 'def g(a):\n    return a * 2\n', ...Array(20).fill(text)];
  const batched = await scorer.scoreBatch!(texts.map((t, i) => ({ text: t, id: String(i) })));
  for (const [i, t] of texts.entries()) {
    const alone = await scorer.score(t, String(i));
    assert.deepEqual(Array.from(batched[i].logprobs), Array.from(alone.logprobs), `text ${i}`);
    assert.deepEqual(Array.from(batched[i].ranks!), Array.from(alone.ranks!));
    assert.deepEqual(Array.from(batched[i].entropy!), Array.from(alone.entropy!));
    assert.deepEqual(batched[i].tokens, alone.tokens);
  }
  await scorer.dispose();
});

test('aggregation: BPE-like tokens aligned to concepts, hand-checked means', async () => {
  const code = 'if x > 1:\n    y = x + 2\n';
  const tokens = ['if', ' x', ' >', ' 1', ':', '\n   ', ' y', ' =', ' x', ' +', ' 2', '\n'];
  const lps = [NaN, -1, -2, -3, -0.5, -0.1, -1.5, -0.2, -0.3, -4, -1, -0.05];
  const offsets: number[] = [];
  let pos = 0;
  for (const t of tokens) { offsets.push(pos, pos + t.length); pos += t.length; }
  assert.equal(tokens.join(''), code);
  const tree = await parseSource('python', code);
  const taxonomy = await taxonomyFor('python');
  const s = aggregateSnippet(tree, taxonomy, { tokens, offsets: Int32Array.from(offsets), logprobs: Float64Array.from(lps), ranks: Int32Array.from([1, 1, 2, 5, 1, 1, 3, 1, 1, 9, 2, 1]), entropy: null });
  assert.equal(s.overall.tokens, 12);
  assert.equal(s.overall.scored, 11);
  const scored = lps.slice(1);
  assert.ok(Math.abs(s.overall.meanLogprob! - scored.reduce((a, b) => a + b) / 11) < 1e-12);
  assert.ok(Math.abs(s.overall.crossEntropy! + s.overall.meanLogprob!) < 1e-12);
  // operators: ' >' (comparison), ' x' and ' 1' inside the comparison, ' x' ' +' ' 2' inside the binary operator
  const op = s.concepts.get('operator')!;
  assert.equal(op.tokens, 6);
  assert.ok(Math.abs(op.meanLogprob! - (-1 - 2 - 3 - 0.3 - 4 - 1) / 6) < 1e-12);
  assert.ok(Math.abs(op.top1Accuracy! - 2 / 6) < 1e-12); // ' x' and ' x' ranked first
  // every token is inside the if statement: decision covers all but the trailing newline's... all tokens
  assert.equal(s.concepts.get('decision')!.tokens, 11);
  assert.ok(!s.concepts.has('exceptions'), 'an absent concept has no row');
  assert.deepEqual(s.tokens[9].leafTypes, ['+']);
});

test('logprobs: files computed elsewhere are imported; bad files give errors with line and field', async () => {
  const { testbed } = await fixtures();
  const dir = tempDir();
  const rows = readFileSync(join(testbed, 'rows.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; code: string });
  const good = join(dir, 'good.jsonl');
  // whitespace tokens with code-point offsets and made-up log-probs
  writeFileSync(good, rows.map((r) => {
    const tokens: string[] = [];
    const offsets: [number, number][] = [];
    const cps = [...r.code];
    let i = 0;
    while (i < cps.length) {
      const start = i;
      while (i < cps.length && !/\s/.test(cps[i])) i++;
      while (i < cps.length && /\s/.test(cps[i])) i++;
      tokens.push(cps.slice(start, i).join(''));
      offsets.push([start, i]);
    }
    return JSON.stringify({ id: r.id, tokens, offsets, logprobs: tokens.map((_, j) => (j === 0 ? null : -1 - (j % 3))) });
  }).join('\n') + '\n');
  const model = await openModel(`logprobs:${good}`);
  const db = join(dir, 'scores.duckdb');
  const summary = await scoreTestbed({ model, testbed, db, quiet: true });
  assert.equal(summary.scoredNow, rows.length);
  const [row] = await tableRows(db, 'SELECT count(*) AS n, min(scored) AS s FROM snippets');
  assert.equal(Number(row.n), rows.length);
  const bad: [string, RegExp][] = [
    ['{"id": "a", "tokens": ["x"], "offsets": [[0, 1]]}', /bad\.jsonl:1: 'logprobs' must be an array/],
    ['{"id": "a", "tokens": ["x", "y"], "offsets": [[0, 1]], "logprobs": [null, -1]}', /must have the same length/],
    ['{"id": "a", "tokens": ["x"], "offsets": [[2, 1]], "logprobs": [-1]}', /offsets\[0\] must be \[start, end\]/],
    ['{"id": "a", "tokens": ["x"], "offsets": [[0, 1]], "logprobs": [0.5]}', /logprobs\[0\] must be a log-probability/],
    ['{"tokens": [], "offsets": [], "logprobs": []}', /missing 'id'/],
    ['not json', /bad\.jsonl:1: not valid JSON/],
  ];
  for (const [content, pattern] of bad) {
    writeFileSync(join(dir, 'bad.jsonl'), `${content}\n`);
    await assert.rejects(openModel(`logprobs:${join(dir, 'bad.jsonl')}`), pattern);
  }
  writeFileSync(join(dir, 'short.jsonl'), `${JSON.stringify({ id: rows[0].id, tokens: ['x'], offsets: [[0, 100000]], logprobs: [-1] })}\n`);
  const short = await openModel(`logprobs:${join(dir, 'short.jsonl')}`);
  await assert.rejects(short.score(rows[0].code, rows[0].id), /short\.jsonl:1: offsets\[0\] = \[0, 100000\] lies past the end/);
  await assert.rejects(short.score('x', 'no-such-row'), /no record for the testbed row 'no-such-row'/);
});

test('score: a run killed with SIGKILL resumes to exactly the rows of an uninterrupted run', async () => {
  const { model, testbed } = await fixtures();
  const dir = tempDir();
  const full = join(dir, 'full.duckdb');
  const interrupted = join(dir, 'interrupted.duckdb');
  const scorer = await openModel(`builtin:${model}`, { backend: 'wasm' });
  await scoreTestbed({ model: scorer, testbed, db: full, quiet: true });
  await scorer.dispose();
  const child = spawn(process.execPath, [BIN, 'score', '--model', `builtin:${model}`, '--testbed', testbed, '--out', interrupted, '--backend', 'wasm'], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      if (/score \w+: [1-9]\d*\//.test(d.toString())) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
  });
  assert.ok(existsSync(interrupted));
  const again = await openModel(`builtin:${model}`, { backend: 'wasm' });
  const resumed = await scoreTestbed({ model: again, testbed, db: interrupted, quiet: true });
  await again.dispose();
  assert.ok(resumed.alreadyScored < resumed.rows, 'the kill interrupted the run');
  for (const table of ['snippets', 'snippet_concepts', 'tokens']) {
    const order = table === 'tokens' ? 'row_id, position' : table === 'snippet_concepts' ? 'row_id, concept' : 'row_id';
    const a = await tableRows(full, `SELECT * FROM ${table} ORDER BY ${order}`);
    const b = await tableRows(interrupted, `SELECT * FROM ${table} ORDER BY ${order}`);
    assert.deepEqual(b, a, `${table} equal`);
  }
  // every snippet row has all its tokens: nothing half written
  const [check] = await tableRows(interrupted, 'SELECT count(*) AS bad FROM snippets s WHERE s.tokens <> (SELECT count(*) FROM tokens t WHERE t.run_id = s.run_id AND t.row_id = s.row_id)');
  assert.equal(Number(check.bad), 0);
});

test('openai: against codegen-eval serve over HTTP on localhost gives the builtin log-probs', async () => {
  const { model: dir, testbed } = await fixtures();
  const { startServer } = await import('../../src/models/serve.ts');
  const builtin = await openModel(`builtin:${dir}`, { backend: 'wasm' });
  const server = await startServer({ model: builtin, name: 'tiny', port: 0 });
  try {
    process.env.CGE_TEST_KEY = 'sk-secret-never-stored';
    const remote = await openModel(`openai:${server.url}#tiny`, { apiKeyEnv: 'CGE_TEST_KEY' });
    const text = 'for i in range(3):\n    print("é", i)\n';
    const a = await builtin.score(text, 'x');
    const b = await remote.score(text, 'x');
    assert.deepEqual(b.tokens, a.tokens);
    assert.deepEqual(Array.from(b.offsets), Array.from(a.offsets));
    for (let j = 0; j < a.logprobs.length; j++) assert.ok(Math.abs(a.logprobs[j] - b.logprobs[j]) < 1e-5, `token ${j}`);
    for (let j = 0; j < a.ranks!.length; j++) assert.equal(b.ranks![j] === 1, a.ranks![j] === 1, `top-1 agreement at ${j}`);
    const db = join(tempDir(), 'remote.duckdb');
    const summary = await scoreTestbed({ model: remote, testbed, db, quiet: true });
    assert.ok(summary.scoredNow > 0);
    const [run] = await tableRows(db, 'SELECT model_info, model_identity FROM runs');
    assert.doesNotMatch(JSON.stringify(run), /sk-secret/, 'the API key is stored nowhere');
    // a wrong model name is a clear error, not a retry loop
    const wrong = await openModel(`openai:${server.url}#other`);
    await assert.rejects(wrong.score('x', 'x'), /answered HTTP 404: .*not served here/);
  } finally {
    await server.close();
    await builtin.dispose();
  }
});

test('openai: retries 429 and 5xx with backoff, honours Retry-After, and times out', async () => {
  const { createServer } = await import('node:http');
  let calls = 0;
  const okBody = JSON.stringify({ choices: [{ text: 'ab', logprobs: { tokens: ['a', 'b'], token_logprobs: [null, -0.5], top_logprobs: [null, { b: -0.5, c: -1 }], text_offset: [0, 1] } }] });
  const flaky = createServer((req, res) => {
    calls++;
    req.resume();
    if (calls <= 2) { res.writeHead(503, { 'retry-after': '0.01' }); res.end('busy'); return; }
    if (calls === 3) { res.writeHead(429); res.end('slow down'); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(okBody);
  });
  await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
  const port = (flaky.address() as { port: number }).port;
  try {
    const { openOpenAI } = await import('../../src/models/openai.ts');
    const m = await openOpenAI('openai:flaky', `http://127.0.0.1:${port}#m`, { backoffMs: 5 });
    const s = await m.score('ab', 'x');
    assert.equal(calls, 4);
    assert.ok(Number.isNaN(s.logprobs[0]));
    assert.equal(s.logprobs[1], -0.5);
    assert.deepEqual(Array.from(s.ranks!), [0, 1]);
    const never = await openOpenAI('openai:down', 'http://127.0.0.1:9#m', { retries: 1, backoffMs: 1, timeoutMs: 200 });
    await assert.rejects(never.score('x', 'x'), /failed after 2 attempts/);
  } finally {
    await new Promise<void>((r) => flaky.close(() => r()));
  }
  await assert.rejects(openModel('openai:localhost:8000'), /the spec is openai:URL#MODEL/);
});

test('export: the built-in GPT as ONNX, scored through hf: (@huggingface/transformers) equals builtin:', async () => {
  const { model: dir, testbed } = await fixtures();
  const { exportGptToOnnx } = await import('../../src/models/onnx/exportGpt.ts');
  const out = join(tempDir(), 'onnx-model');
  const result = await exportGptToOnnx(`builtin:${dir}`, out);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) assert.ok(existsSync(join(out, f)), f);
  assert.ok(result.parameters > 1000);
  const hf = await openModel(`hf:${out}`);
  const builtin = await openModel(`builtin:${dir}`, { backend: 'wasm' });
  const text = 'def add(a, b):\n    return a + b  # sum\n' + 'x = [1, 2]\n'.repeat(4); // longer than the context: windows
  const a = await hf.score(text, 'x');
  const b = await builtin.score(text, 'x');
  assert.ok(a.tokens.length > 16);
  assert.deepEqual(a.tokens, b.tokens);
  for (let j = 0; j < a.logprobs.length; j++) assert.ok(Math.abs(a.logprobs[j] - b.logprobs[j]) < 1e-4, `token ${j}: ${a.logprobs[j]} vs ${b.logprobs[j]}`);
  assert.deepEqual(Array.from(a.ranks!), Array.from(b.ranks!));
  const db = join(tempDir(), 'hf.duckdb');
  assert.ok((await scoreTestbed({ model: hf, testbed, db, quiet: true })).scoredNow > 0);
  await hf.dispose();
  // the portable export (standard operators only) gives the same log-probs
  const portableDir = join(tempDir(), 'onnx-portable');
  await exportGptToOnnx(`builtin:${dir}`, portableDir, { portable: true });
  assert.ok(!readFileSync(join(portableDir, 'onnx', 'model.onnx')).includes('com.microsoft'));
  assert.ok(readFileSync(join(out, 'onnx', 'model.onnx')).includes('com.microsoft'));
  const portable = await openModel(`hf:${portableDir}`);
  const c = await portable.score(text, 'x');
  for (let j = 0; j < c.logprobs.length; j++) assert.ok(Math.abs(c.logprobs[j] - b.logprobs[j]) < 1e-4, `portable token ${j}: ${c.logprobs[j]} vs ${b.logprobs[j]}`);
  await portable.dispose();
  await builtin.dispose();
  await assert.rejects(openModel(`hf:${tempDir()}`), /not a complete Hugging Face ONNX model folder: missing config\.json, tokenizer\.json, tokenizer_config\.json, onnx\/model\.onnx/);
});

test('builtin on onnxruntime (--backend onnx): the model\'s ONNX graph with the scoring head gives TensorFlow.js\'s log-probs, ranks, entropies and top tokens', async () => {
  const { model: gptDir } = await fixtures();
  const gruDir = fileURLToPath(new URL('../../models/demo-gru', import.meta.url));
  const texts = ['def add(a, b):\n    return a + b  # sum\n' + 'x = [1, 2]\n'.repeat(4), 'x = f(1)\n', 'é = "ü"\n'];
  for (const dir of [gptDir, gruDir]) {
    const onnx = await openBuiltin('builtin:t', dir, { backend: 'onnx' });
    const tfjs = await openBuiltin('builtin:t', dir, { backend: 'wasm' });
    assert.equal(onnx.info.backend, 'onnx');
    assert.notEqual(onnx.identity, tfjs.identity, 'the runtime is part of the identity: cached scores never mix');
    const a = await onnx.scoreBatch!(texts.map((text, i) => ({ text, id: String(i) })));
    const b = await tfjs.scoreBatch!(texts.map((text, i) => ({ text, id: String(i) })));
    texts.forEach((_, t) => {
      assert.deepEqual(a[t].tokens, b[t].tokens);
      for (let j = 0; j < a[t].logprobs.length; j++) {
        assert.ok(Math.abs(a[t].logprobs[j] - b[t].logprobs[j]) < 1e-4, `${dir} text ${t} token ${j}: ${a[t].logprobs[j]} vs ${b[t].logprobs[j]}`);
        assert.ok(Math.abs(a[t].entropy![j] - b[t].entropy![j]) < 1e-3, `entropy ${t}/${j}: ${a[t].entropy![j]} vs ${b[t].entropy![j]}`);
        assert.ok(Math.abs(a[t].ranks![j] - b[t].ranks![j]) <= 1, `rank ${t}/${j}`); // ties may break differently in the last bit
      }
    });
    const topA = await onnx.score(texts[1], 'x', 3);
    const topB = await tfjs.score(texts[1], 'x', 3);
    topA.top!.forEach((row, j) => row.forEach((entry, r) => assert.ok(Math.abs(entry.logprob - topB.top![j][r].logprob) < 1e-4)));
    await onnx.dispose();
    await tfjs.dispose();
  }
  // a damaged checkpoint is a clear error naming the file, on either runtime
  const damaged = join(tempDir(), 'damaged');
  cpSync(gptDir, damaged, { recursive: true });
  const file = join(damaged, 'best', 'weights.bin');
  writeFileSync(file, readFileSync(file).subarray(0, 400));
  for (const backend of ['onnx', 'wasm'] as const) await assert.rejects(openBuiltin('builtin:t', damaged, { backend }), /weights\.bin: 100 floats where state\.json's parameters need \d+/);
});

test('scores keep their structure: typed columns, lists of concepts and leaf types (the "," node type stays one), token ids, a treated column that effect reads from Parquet as it is', async () => {
  const corpus = join(tempDir(), 'commas.jsonl');
  writeFileSync(corpus, [
    { id: 'a', language: 'python', code: 'def f(a, b):\n    """Add."""\n    return g(a, b, 1)\n' },
    { id: 'b', language: 'python', code: 'def h(x, y, z):\n    return [x, y, z]\n' },
    { id: 'c', language: 'python', code: 'def k(p, q):\n    """Pair."""\n    return (p, q)\n' },
    { id: 'd', language: 'python', code: 'def m(u, v):\n    return {u: v}\n' },
  ].map((r) => JSON.stringify(r)).join('\n'));
  const testbed = join(tempDir(), 'docs');
  await buildTestbed({ corpus, out: testbed, treatment: 'has-docstring' });
  const model = await openModel('builtin:demo');
  const db = join(tempDir(), 'typed.duckdb');
  await scoreTestbed({ model, testbed, db, quiet: true });
  await model.dispose();
  const types = Object.fromEntries((await tableRows(db, 'DESCRIBE tokens')).map((r) => [r.column_name, r.column_type]));
  assert.deepEqual(types, { run_id: 'VARCHAR', row_id: 'VARCHAR', position: 'INTEGER', token_id: 'INTEGER', token: 'VARCHAR', char_start: 'INTEGER', char_end: 'INTEGER', logprob: 'DOUBLE', rank: 'INTEGER', entropy: 'DOUBLE', concepts: 'VARCHAR[]', leaf_types: 'VARCHAR[]' });
  const snippetTypes = Object.fromEntries((await tableRows(db, 'DESCRIBE snippets')).map((r) => [r.column_name, r.column_type]));
  for (const c of ['chars', 'ast_depth', 'cyclomatic', 'docstring_chars', 'model_tokens', 'treated', 'tokens']) assert.equal(snippetTypes[c], 'INTEGER', c);
  // every "," token has the node type "," once: no empty node type from splitting a joined string
  const commas = await tableRows(db, `SELECT leaf_types FROM tokens WHERE token = ','`);
  assert.ok(commas.length >= 8);
  for (const r of commas) assert.deepEqual(r.leaf_types, [',']);
  assert.equal((await tableRows(db, `SELECT count(*) AS n FROM (SELECT unnest(leaf_types) AS t FROM tokens) WHERE t = ''`))[0].n, 0n);
  // token ids are the tokenizer's
  const tokenizer = await CodeTokenizer.load(join(fileURLToPath(new URL('../../models/demo', import.meta.url))));
  const a = await tableRows(db, `SELECT token_id FROM tokens WHERE row_id = 'a' ORDER BY position`);
  assert.deepEqual(a.map((r) => r.token_id), tokenizer.encode('def f(a, b):\n    """Add."""\n    return g(a, b, 1)\n').ids);
  // covariates agree with the testbed's rows
  const rows = readFileSync(join(testbed, 'rows.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; arm: string; covariates: Record<string, number> });
  for (const row of rows) {
    const [s] = await tableRows(db, `SELECT chars, ast_depth, cyclomatic, treated FROM snippets WHERE row_id = '${row.id}'`);
    assert.deepEqual([s.chars, s.ast_depth, s.cyclomatic, s.treated], [row.covariates.chars, row.covariates.astDepth, row.covariates.cyclomatic, row.arm === 'treated' ? 1 : 0]);
  }
  // the exported snippet table feeds effect as it is
  const out = join(tempDir(), 'pq');
  const { ScoreStore } = await import('../../src/score/store.ts');
  const store = await ScoreStore.open(db);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(out);
  await store.exportParquet('snippets', join(out, 'snippets.parquet'));
  store.close();
  const run = spawnSync(process.execPath, [BIN, 'effect', '--data', join(out, 'snippets.parquet'), '--treatment', 'treated', '--outcome', 'mean_logprob', '--confounders', 'chars', '--method', 'regression', '--json'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const estimate = JSON.parse(run.stdout) as { n: { treated: number; control: number } };
  assert.deepEqual([estimate.n.treated, estimate.n.control], [2, 2]);
});

test('scores database: one written in another schema is refused with a clear message and left as it is', async () => {
  const db = join(tempDir(), 'old.duckdb');
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(db);
  const connection = await instance.connect();
  await connection.run('CREATE TABLE tokens (run_id VARCHAR, "end" INTEGER, concepts VARCHAR); INSERT INTO tokens VALUES (\'r\', 3, \'a,b\')');
  connection.closeSync();
  instance.closeSync();
  const before = readFileSync(db);
  const { ScoreStore } = await import('../../src/score/store.ts');
  await assert.rejects(ScoreStore.open(db), /holds scores in the format of schema 1; this codegen-eval writes schema 2/);
  await assert.rejects(ScoresReader.open(db), /schema 1/);
  assert.ok(readFileSync(db).equals(before), 'the old database is not changed');
});
