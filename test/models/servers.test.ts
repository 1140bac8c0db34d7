/**
 * Model servers as they really answer: vLLM (current and v0), OpenAI's legacy completions and TGI,
 * replayed byte for byte from test/fixtures/servers/answers.json (made by replay.py from each
 * project's own code paths, over the shipped demo model's numbers) by an HTTP server on 127.0.0.1.
 * Scores through each must equal the built-in model's own scores on the same text (the servers do
 * not score the first token), or the run must stop with a clear error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openModel } from '../../src/models/index.ts';
import { readCompletionAnswer, readTgiAnswer } from '../../src/models/serverAnswers.ts';
import { spansFromTokenTexts } from '../../src/models/tokenSpans.ts';
import { codePointToUtf16Table } from '../../src/syntax/offsets.ts';
import type { ScoringModel, TokenScores } from '../../src/models/types.ts';
import { tempDir } from '../helpers.ts';

const SERVERS = fileURLToPath(new URL('../fixtures/servers/', import.meta.url));
interface Answer { server: string; route: string; request: unknown; body: string }
const answers = JSON.parse(readFileSync(join(SERVERS, 'answers.json'), 'utf8')) as Answer[];
const prompts = [...new Set(answers.filter((a) => a.request && a.server === 'vllm').map((a) => (a.request as { prompt: string }).prompt))];

/** Serves answers.json under /<server>/...: the body exactly as recorded, for exactly the recorded request. */
async function replayServer(override?: (answer: Answer) => string): Promise<{ url: string; close: () => Promise<void>; requests: unknown[] }> {
  const requests: unknown[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [, kind, ...rest] = (req.url ?? '').split('/');
      const route = `/${rest.join('/')}`;
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
      requests.push(body);
      const match = answers.find((a) => a.server === kind && a.route === route && JSON.stringify(a.request) === JSON.stringify(body));
      if (!match) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `no recorded answer for ${kind} ${route} ${JSON.stringify(body)?.slice(0, 200)}` }));
        return;
      }
      const text = override ? override(match) : match.body;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let builtin: ScoringModel | undefined;
const reference = new Map<string, TokenScores>();
async function builtinScores(prompt: string): Promise<TokenScores> {
  builtin ??= await openModel('builtin:demo');
  if (!reference.has(prompt)) reference.set(prompt, await builtin.score(prompt, 'x'));
  return reference.get(prompt)!;
}

function assertSameScores(got: TokenScores, want: TokenScores, tolerance: number, label: string): void {
  assert.deepEqual(Array.from(got.offsets), Array.from(want.offsets), `${label}: spans`);
  assert.equal(got.logprobs.length, want.logprobs.length, `${label}: token count`);
  assert.ok(Number.isNaN(got.logprobs[0]), `${label}: the server does not score the first token`);
  for (let j = 1; j < want.logprobs.length; j++) assert.ok(Math.abs(got.logprobs[j] - want.logprobs[j]) <= tolerance, `${label}: token ${j}: ${got.logprobs[j]} vs ${want.logprobs[j]}`);
}

test('server fixtures: answers.json is what replay.py writes from model-outputs.json', { timeout: 60_000 }, () => {
  const out = join(tempDir(), 'answers.json');
  const run = spawnSync('python3', [join(SERVERS, 'replay.py'), out], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(readFileSync(out, 'utf8'), readFileSync(join(SERVERS, 'answers.json'), 'utf8'));
});

test('server fixtures: vLLM\'s text_offset really drifts on these prompts (what the reader must not trust)', async () => {
  const prompt = prompts.find((p) => p.includes('你好'))!;
  const answer = JSON.parse(answers.find((a) => a.server === 'vllm' && (a.request as { prompt: string }).prompt === prompt)!.body) as { choices: { logprobs: { text_offset: number[] } }[] };
  const table = codePointToUtf16Table(prompt);
  const fromTextOffset = answer.choices[0].logprobs.text_offset.map((o) => table[Math.min(o, table.length - 1)]);
  const want = await builtinScores(prompt);
  const starts = Array.from({ length: want.offsets.length / 2 }, (_, j) => want.offsets[2 * j]);
  assert.notDeepEqual(fromTextOffset, starts);
  assert.ok(fromTextOffset.filter((o, j) => o !== starts[j]).length > 10, 'many spans shift');
});

for (const kind of ['vllm', 'vllm-echo-appended', 'vllm-v0', 'openai', 'tgi']) {
  test(`servers: ${kind} answers, replayed over HTTP, give the built-in model's scores`, async () => {
    const server = await replayServer();
    try {
      const spec = kind === 'tgi' ? `tgi:${server.url}/tgi` : `openai:${server.url}/${kind}/v1#codegen-eval/demo`;
      const remote = await openModel(spec);
      for (const prompt of prompts) {
        if (kind === 'vllm-v0' && prompt.includes('\ufffd')) {
          // v0's incremental detokenizer gives "" for the tokens of a real U+FFFD: their extent is lost
          await assert.rejects(remote.score(prompt, 'x'), /token \d+ has no text and stands before a U\+FFFD of the prompt/);
          continue;
        }
        const got = await remote.score(prompt, 'x');
        const want = await builtinScores(prompt);
        // TGI writes f32 log-probs; the others Python floats of the same f32 values
        assertSameScores(got, want, kind === 'tgi' ? 2e-5 : 1e-5, `${kind} ${JSON.stringify(prompt.slice(0, 20))}`);
        if (kind !== 'tgi') {
          for (let j = 1; j < want.ranks!.length; j++) assert.equal(got.ranks![j] === 1, want.ranks![j] === 1, `${kind}: top-1 agreement at ${j}`);
        }
      }
      if (kind === 'tgi') assert.match(remote.identity, /codegen-eval\/demo@0123456789abcdef/, 'the identity names the served model and its revision');
    } finally {
      await server.close();
    }
  });
}

test('servers: the generated token vLLM appends after the prompt is cut, not scored', async () => {
  const prompt = prompts[0];
  const answer = answers.find((a) => a.server === 'vllm-echo-appended' && (a.request as { prompt: string }).prompt === prompt)!;
  const body = JSON.parse(answer.body) as { choices: { logprobs: { tokens: string[] } }[]; usage: { prompt_tokens: number } };
  assert.equal(body.choices[0].logprobs.tokens.length, body.usage.prompt_tokens + 1, 'the fixture has one token past the prompt');
  const got = readCompletionAnswer(body, prompt, 'vllm', 1);
  assert.equal(got.tokens.length, body.usage.prompt_tokens);
  assert.equal(got.offsets[got.offsets.length - 1], prompt.length);
});

/** A recorded vLLM answer with one change, and the error it must give. */
const mutations: { name: string; change: (lp: Record<string, unknown[]>, body: Record<string, unknown>) => void; error: RegExp }[] = [
  { name: 'arrays of different lengths', change: (lp) => lp.token_logprobs.pop(), error: /token_logprobs has \d+ entries where tokens has \d+/ },
  { name: 'offsets that run backwards', change: (lp) => { lp.text_offset[3] = 0; }, error: /text_offset\[3\] is 0: offsets must be integers that do not go backwards/ },
  { name: 'a positive log-prob', change: (lp) => { lp.token_logprobs[2] = 5; }, error: /token_logprobs\[2\] is 5, a log-probability above 0/ },
  { name: 'a log-prob that is not a number', change: (lp) => { lp.token_logprobs[2] = 'NaN'; }, error: /token_logprobs\[2\] is "NaN", not a finite log-probability/ },
  { name: 'vLLM\'s -9999 floor', change: (lp) => { lp.token_logprobs[2] = -9999.0; }, error: /floors log-probs of -inf/ },
  { name: 'a null log-prob inside the prompt', change: (lp) => { lp.token_logprobs[4] = null; }, error: /token_logprobs\[4\] is null/ },
  { name: 'tokens that do not spell the prompt', change: (lp) => { lp.tokens[2] = 'xyz'; }, error: /do not spell the prompt: token 2 \("xyz"\)/ },
  { name: 'tokens as token ids', change: (lp) => { lp.tokens[1] = 'token_id:861'; }, error: /return-tokens-as-token-ids/ },
  { name: 'no usage and a text other than the prompt', change: (_lp, body) => { delete body.usage; (body.choices as Record<string, unknown>[])[0].text = 'other'; }, error: /neither usage.prompt_tokens nor a text equal to the prompt/ },
  { name: 'no logprobs at all', change: (_lp, body) => { (body.choices as Record<string, unknown>[])[0].logprobs = null; }, error: /no prompt log-probs/ },
];

test('servers: answers that cannot be read exactly stop the run with a clear error naming the server', async () => {
  const prompt = prompts[0];
  const recorded = answers.find((a) => a.server === 'vllm' && (a.request as { prompt: string }).prompt === prompt)!.body;
  for (const { name, change, error } of mutations) {
    const server = await replayServer((a) => {
      if (a.server !== 'vllm') return a.body;
      const body = JSON.parse(recorded) as Record<string, unknown>;
      const choice = (body.choices as Record<string, unknown>[])[0];
      change(choice.logprobs as Record<string, unknown[]>, body);
      return JSON.stringify(body);
    });
    try {
      const remote = await openModel(`openai:${server.url}/vllm/v1#codegen-eval/demo`);
      await assert.rejects(remote.score(prompt, 'x'), (e: Error) => {
        assert.equal(e.name, 'UserError', name);
        assert.match(e.message, new RegExp(`^${server.url}/vllm/v1/completions answered in a shape that cannot be read exactly`), name);
        assert.match(e.message, error, name);
        return true;
      });
    } finally {
      await server.close();
    }
  }
});

test('servers: a TGI answer without prefill details is a clear error', () => {
  assert.throws(() => readTgiAnswer({ generated_text: 'x' }, 'ab', 'http://h/generate'), /cannot be read exactly: it has no details/);
  assert.throws(() => readTgiAnswer({ details: { prefill: [{ id: 1, text: 'a', logprob: null }, { id: 2, text: 'b', logprob: 0.5 }] } }, 'ab', 'tgi'), /prefill\[1\].logprob is 0.5, a log-probability above 0/);
});

test('token spans: partial UTF-8 tokens, BOS, bytes: tokens and SentencePiece pieces are read exactly', () => {
  const spans = (prompt: string, tokens: string[], firstUnscored = true) => {
    const s = spansFromTokenTexts(prompt, tokens, { firstUnscored });
    return { offsets: Array.from(s.offsets), dropped: s.droppedPrefix };
  };
  // 你 is three bytes: one token per byte (each decodes to U+FFFD), or two then one
  assert.deepEqual(spans('a你b', ['a', '\ufffd', '\ufffd', '\ufffd', 'b']), { offsets: [0, 1, 1, 1, 1, 1, 1, 2, 2, 3], dropped: 0 });
  assert.deepEqual(spans('a你b', ['a', '\ufffd', '\ufffd', 'b']), { offsets: [0, 1, 1, 1, 1, 2, 2, 3], dropped: 0 });
  // vLLM v0's incremental detokenizer: "" for the partial token, the whole character on the last
  assert.deepEqual(spans('a你b', ['a', '', '你', 'b']), { offsets: [0, 1, 1, 1, 1, 2, 2, 3], dropped: 0 });
  // OpenAI's bytes: tokens
  assert.deepEqual(spans('a你b', ['a', 'bytes:\\xe4\\xbd', 'bytes:\\xa0', 'b']), { offsets: [0, 1, 1, 1, 1, 2, 2, 3], dropped: 0 });
  // an emoji (a surrogate pair in UTF-16, four bytes)
  assert.deepEqual(spans('x😀', ['x', '\ufffd', '\ufffd', '\ufffd']), { offsets: [0, 1, 1, 1, 1, 1, 1, 3], dropped: 0 });
  // a real U+FFFD in the prompt
  assert.deepEqual(spans('a\ufffdb', ['a', '\ufffd', 'b']), { offsets: [0, 1, 1, 2, 2, 3], dropped: 0 });
  // a BOS the server prepends (unscored, not in the prompt) is dropped
  assert.deepEqual(spans('def f', ['<s>', 'def', ' f']), { offsets: [0, 3, 3, 5], dropped: 1 });
  assert.throws(() => spans('def f', ['<s>', 'def', ' f'], false), /do not spell the prompt: token 0/);
  // SentencePiece pieces decoded one by one lose their leading space
  assert.deepEqual(spans('def f(x): return x', ['<s>', 'def', 'f', '(', 'x', '):', 'return', 'x']).offsets, [0, 3, 3, 5, 5, 6, 6, 7, 7, 9, 9, 16, 16, 18]);
  assert.throws(() => spans('abc', ['a', 'b']), /cover only part of the prompt/);
});

test.after(async () => {
  await builtin?.dispose();
});

test('servers: an API key a server echoes back is redacted from the error; Retry-After is capped and said', async () => {
  const { createServer: createHttp } = await import('node:http');
  let calls = 0;
  const echoing = createHttp((req, res) => {
    calls++;
    req.resume();
    if (calls === 1) {
      res.writeHead(503, { 'retry-after': '100000' });
      res.end('busy');
      return;
    }
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end(`bad key: ${req.headers.authorization}`);
  });
  await new Promise<void>((r) => echoing.listen(0, '127.0.0.1', r));
  const port = (echoing.address() as { port: number }).port;
  const { requestJson } = await import('../../src/models/http.ts');
  const said: string[] = [];
  try {
    const started = Date.now();
    await assert.rejects(
      requestJson(`http://127.0.0.1:${port}/v1/completions`, { prompt: 'x' }, { timeoutMs: 5000, retries: 2, backoffMs: 1, maxRetryAfterMs: 50, apiKey: 'sk-very-secret', log: (m) => said.push(m) }),
      (e: Error) => /answered HTTP 401: bad key: Bearer \[redacted\]/.test(e.message) && !e.message.includes('sk-very-secret'),
    );
    assert.ok(Date.now() - started < 5000, 'Retry-After: 100000 waited no more than the cap');
    assert.equal(calls, 2);
    assert.deepEqual(said, [`http://127.0.0.1:${port}/v1/completions asked to retry after 100000 s; waiting 0.05 s (the longest wait allowed)`]);
  } finally {
    echoing.close();
  }
});

test('score --timeout/--retries: a server that never answers fails in the time asked for, with a clear message', async () => {
  const { spawn } = await import('node:child_process');
  let requests = 0;
  const hung = createServer((req) => {
    requests++;
    req.resume(); // read the request, never answer
  });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  const port = (hung.address() as { port: number }).port;
  const bin = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));
  const run = (args: string[]) => new Promise<{ code: number | null; stderr: string; seconds: number }>((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [bin, 'score', '--model', `openai:http://127.0.0.1:${port}/v1#m`, '--testbed', 'remove-comments', '--out', join(tempDir(), 's.duckdb'), '--quiet', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr, seconds: (Date.now() - started) / 1000 }));
  });
  try {
    const r = await run(['--timeout', '0.5', '--retries', '1', '--concurrency', '1']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /v1\/completions failed after 2 attempts: timed out after 500 ms/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(requests, 2);
    assert.ok(r.seconds < 30, `failed in ${r.seconds} s`);
    const bad = await run(['--timeout', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--timeout must be a number of seconds/);
  } finally {
    hung.closeAllConnections();
    hung.close();
  }
});
