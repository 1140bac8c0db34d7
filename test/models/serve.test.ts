/**
 * `serve` as its real clients use it: lm-evaluation-harness's `local-completions` payloads and parses
 * (lm_eval/models/openai_completions.py: _create_payload, parse_logprobs, parse_generations; prompts
 * as token ids, as its default tokenized requests send them), and the official `openai` client.
 * Log-probs are checked against the demo GPT recomputed over the whole sequence by TensorFlow.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { openModel } from '../../src/models/index.ts';
import { openGenerator, type Generator } from '../../src/models/generate.ts';
import { startServer, type ServeOptions } from '../../src/models/serve.ts';
import type { ScoringModel } from '../../src/models/types.ts';
import { argmax, demoLogSoftmax, disposeReference } from './reference.ts';

let model: ScoringModel | undefined;
let generator: Generator | undefined;

async function serving(options: Partial<ServeOptions> = {}): Promise<{ url: string; close: () => Promise<void> }> {
  model ??= await openModel('builtin:demo');
  generator ??= await openGenerator('builtin:demo');
  return startServer({ model, generator, name: 'demo', port: 0, ...options });
}

const post = async (url: string, body: unknown, raw?: string) => {
  const res = await fetch(`${url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

type Choice = { index: number; text: string; finish_reason: string; logprobs: { tokens: string[]; token_logprobs: (number | null)[]; top_logprobs: Record<string, number>[]; text_offset: number[] } };

/** lm_eval LocalCompletionsAPI.parse_logprobs, line for line. */
function parseLogprobs(out: { choices: Choice[] }, ctxlens: number[]): [number, boolean][] {
  const res: [number, boolean][] = [];
  const choices = [...out.choices].sort((a, b) => a.index - b.index);
  choices.forEach((choice, i) => {
    const ctxlen = ctxlens[i];
    assert.ok(ctxlen > 0);
    const tokenLogprobs = choice.logprobs.token_logprobs.slice(ctxlen, -1) as number[];
    const topLogprobs = choice.logprobs.top_logprobs.slice(ctxlen, -1);
    const logprobs = tokenLogprobs.reduce((a, b) => a + b, 0);
    let isGreedy = true;
    for (const [j, tok] of tokenLogprobs.entries()) if (tok !== Math.max(...Object.values(topLogprobs[j]))) { isGreedy = false; break; }
    res.push([logprobs, isGreedy]);
  });
  return res;
}

test('serve: lm-evaluation-harness loglikelihood (echo, max_tokens 1, logprobs 1, token ids): its parse reads the continuation\'s exact log-prob', async () => {
  const server = await serving();
  try {
    const g = generator!;
    const pairs: [string, string][] = [['def add(a, b):\n    return', ' a + b\n'], ['import os\nimport', ' sys'], ['x = [1, 2, 3]\nprint(', 'len(x))']];
    for (const [context, continuation] of pairs) {
      // lm_eval TemplateAPI._encode_pair: the whole is encoded, the context's tokens split off
      const whole = g.encode(context + continuation);
      const contextEnc = g.encode(context);
      const continuationEnc = whole.slice(contextEnc.length);
      assert.ok(continuationEnc.length > 0);
      const sent = [...contextEnc, ...continuationEnc];
      const payload = { model: 'demo', prompt: [sent], temperature: 0, max_tokens: 1, logprobs: 1, seed: 1234, echo: true };
      const { status, body } = await post(server.url, payload);
      assert.equal(status, 200, JSON.stringify(body));
      const [[logprob, isGreedy]] = parseLogprobs(body as unknown as { choices: Choice[] }, [contextEnc.length]);
      // direct: the model over <|endoftext|> + context + continuation, each continuation token from the position before it
      const rows = await demoLogSoftmax([g.eos, ...sent]);
      let want = 0;
      let greedy = true;
      continuationEnc.forEach((id, k) => {
        const row = rows[contextEnc.length + k];
        want += row[id];
        if (argmax(row) !== id) greedy = false;
      });
      assert.ok(Math.abs(logprob - want) < 1e-4, `${JSON.stringify(continuation)}: ${logprob} vs ${want}`);
      assert.equal(isGreedy, greedy);
      const choice = (body.choices as Choice[])[0];
      assert.equal(choice.logprobs.tokens.length, sent.length + 1, 'the prompt then the one generated token');
    }
  } finally {
    await server.close();
  }
});

test('serve: lm-evaluation-harness generate_until returns text that stops at the stop sequence', async () => {
  const server = await serving();
  try {
    const g = generator!;
    const context = 'class Stack:\n    def push(self, item):\n        self.items.append(';
    const [[free]] = await g.generate([context], { maxTokens: 40 });
    const until = free.text.slice(6, 9);
    // lm_eval _create_payload(generate=True): until plus the eos string, temperature 0, seed 1234
    const payload = { prompt: [g.encode(context)], model: 'demo', max_tokens: 40, temperature: 0, stop: [until, '<|endoftext|>'], seed: 1234 };
    const { status, body } = await post(server.url, payload);
    assert.equal(status, 200, JSON.stringify(body));
    // parse_generations
    const texts: string[] = [];
    for (const c of body.choices as Choice[]) texts[c.index] = c.text;
    assert.equal(texts[0], free.text.slice(0, free.text.indexOf(until)));
    assert.ok(!texts[0].includes(until));
    assert.equal((body.choices as Choice[])[0].finish_reason, 'stop');
  } finally {
    await server.close();
  }
});

test('serve: the official openai client: texts, lists, echo with generated tokens, n, seed, /v1/models, errors', async () => {
  const server = await serving();
  try {
    const client = new OpenAI({ baseURL: server.url, apiKey: 'sk-none', maxRetries: 0 });
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['demo']);
    const prompt = 'def add(a, b):\n    return';
    const echoed = await client.completions.create({ model: 'demo', prompt, max_tokens: 6, echo: true, logprobs: 2, temperature: 0 });
    const choice = echoed.choices[0];
    const scores = await model!.score(prompt, 'x');
    const [[greedy]] = await generator!.generate([prompt], { maxTokens: 6 });
    assert.equal(choice.text, prompt + greedy.text);
    assert.deepEqual(choice.logprobs!.tokens, [...scores.tokens, ...greedy.tokens]);
    scores.logprobs.forEach((v, j) => assert.ok(Math.abs(choice.logprobs!.token_logprobs![j]! - v) < 1e-6));
    greedy.logprobs.forEach((v, j) => assert.ok(Math.abs(choice.logprobs!.token_logprobs![scores.tokens.length + j]! - v) < 1e-6));
    assert.equal(choice.logprobs!.text_offset![scores.tokens.length], prompt.length, 'generated offsets continue after the prompt');
    assert.ok(choice.logprobs!.top_logprobs!.every((t) => Object.keys(t!).length >= 1 && Object.keys(t!).length <= 3));
    assert.equal(echoed.usage!.completion_tokens, 6);
    // a list of texts, n samples each, seeded
    const sampled = await client.completions.create({ model: 'demo', prompt: ['import os\n', 'x = '], max_tokens: 5, n: 2, temperature: 1, seed: 5 });
    assert.deepEqual(sampled.choices.map((c) => c.index), [0, 1, 2, 3]);
    const again = await client.completions.create({ model: 'demo', prompt: ['import os\n', 'x = '], max_tokens: 5, n: 2, temperature: 1, seed: 5 });
    assert.deepEqual(again.choices.map((c) => c.text), sampled.choices.map((c) => c.text));
    // prompt log-probs only, as the openai: adapter asks
    const scoring = await client.completions.create({ model: 'demo', prompt, max_tokens: 0, echo: true, logprobs: 1 });
    assert.equal(scoring.choices[0].text, prompt);
    assert.equal(scoring.choices[0].logprobs!.tokens!.length, scores.tokens.length);
    await assert.rejects(client.completions.create({ model: 'other', prompt: 'x' }), (e: InstanceType<typeof OpenAI.APIError>) => e.status === 404 && /not served here/.test(e.message));
    await assert.rejects(client.completions.create({ model: 'demo', prompt: 'x', logprobs: -7 }), (e: InstanceType<typeof OpenAI.APIError>) => e.status === 400 && /logprobs must be a whole number from 0 to 20/.test(e.message));
  } finally {
    await server.close();
  }
});

test('serve: bad requests get 400 in OpenAI\'s error shape; 413 over the body limit; 503 when the queue is full; 504 past the deadline; a busy port is a clear error', async () => {
  const server = await serving({ maxBodyBytes: 10_000 });
  try {
    for (const [body, message] of [
      ['null', /the body must be a JSON object/], ['[1]', /the body must be a JSON object/], ['{', /the body must be JSON/],
      [JSON.stringify({ prompt: 'x', logprobs: 'abc' }), /logprobs must be a whole number/], [JSON.stringify({ prompt: 'x', max_tokens: -1 }), /max_tokens must be a whole number/],
      [JSON.stringify({ prompt: '' }), /a prompt is empty/], [JSON.stringify({ prompt: [1.5] }), /prompt must be/], [JSON.stringify({ prompt: 'x', temperature: 9 }), /temperature must be a number from 0 to 2/],
      [JSON.stringify({ prompt: [[5000]], max_tokens: 0, echo: true }), /token id 5000 is not in the vocabulary/], [JSON.stringify({ prompt: 'x', stream: true }), /streaming is not supported/],
    ] as const) {
      const r = await post(server.url, undefined, body);
      assert.equal(r.status, 400, body);
      const error = r.body.error as { message: string; type: string; code: number };
      assert.match(error.message, message, body);
      assert.equal(error.type, 'invalid_request_error');
    }
    const big = await post(server.url, { prompt: 'x'.repeat(20_000) });
    assert.equal(big.status, 413);
  } finally {
    await server.close();
  }
  // one at a time, a queue of one: the third concurrent request is refused
  const busy = await serving({ maxQueue: 1 });
  try {
    const long = { prompt: 'def f(x):\n', max_tokens: 100, temperature: 0 };
    const answers = await Promise.all([post(busy.url, long), post(busy.url, long), post(busy.url, long)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 503]);
  } finally {
    await busy.close();
  }
  const slow = await serving({ timeoutMs: 1 });
  try {
    const late = await post(slow.url, { prompt: 'def f(x):\n', max_tokens: 100 });
    assert.equal(late.status, 504);
    assert.match((late.body.error as { message: string }).message, /did not finish within/);
  } finally {
    await slow.close();
  }
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(serving({ port }), (e: Error) => e.name === 'UserError' && new RegExp(`port ${port} on 127.0.0.1 is in use`).test(e.message));
  } finally {
    blocker.close();
  }
});

test('serve: a long prompt is mapped to offsets in one pass (100 KB of code)', async () => {
  const server = await serving({ maxBodyBytes: 1 << 20 });
  try {
    const prompt = 'def f(x):\n    return x + 1  # é\n'.repeat(3000);
    const { status, body } = await post(server.url, { prompt, max_tokens: 0, echo: true, logprobs: 0 });
    assert.equal(status, 200);
    const lp = (body.choices as Choice[])[0].logprobs;
    const codePoints = [...prompt].length;
    assert.equal(lp.text_offset.at(-1)! + [...lp.tokens.at(-1)!].length, codePoints);
  } finally {
    await server.close();
  }
});

test('serve: a client that goes away stops its generation at the next step', async () => {
  generator ??= await openGenerator('builtin:demo');
  const real = generator;
  const outcomes: string[] = [];
  const watched = { ...real, generate: async (...args: Parameters<Generator['generate']>) => {
    try {
      const out = await real.generate(...args);
      outcomes.push('finished');
      return out;
    } catch (error) {
      outcomes.push((error as Error).name);
      throw error;
    }
  } } as Generator;
  const server = await serving({ generator: watched });
  try {
    const controller = new AbortController();
    const request = fetch(`${server.url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'x', max_tokens: 1000, n: 64, temperature: 1, seed: 1 }), signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(request);
    for (let i = 0; i < 100 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(outcomes, ['GenerationAborted']);
    const after = await post(server.url, { prompt: 'x', max_tokens: 2, temperature: 0 });
    assert.equal(after.status, 200, 'the server serves the next request');
  } finally {
    await server.close();
  }
});

test.after(async () => {
  await generator?.dispose();
  await model?.dispose();
  disposeReference();
});
