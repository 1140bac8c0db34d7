/**
 * `codegen-eval serve`: a model behind the OpenAI completions protocol, for prompt scoring:
 * POST /v1/completions with {model, prompt (string or list), max_tokens: 0, echo: true, logprobs: k}
 * answers, per prompt, choices[i].logprobs = {tokens, token_logprobs, top_logprobs, text_offset} as
 * OpenAI's legacy completions do (text_offset in Unicode code points, as Python servers give them).
 * token_logprobs[0] is the first token's log-prob given <|endoftext|> (OpenAI and vLLM give null; both
 * are read by the openai: adapter). GET /v1/models lists the model. Generation is not offered.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ScoringModel } from './types.ts';

export interface ServeOptions {
  model: ScoringModel;
  name: string;
  host?: string;
  port?: number;
  log?: (message: string) => void;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function error(res: ServerResponse, status: number, message: string): void {
  send(res, status, { error: { message, type: 'invalid_request_error' } });
}

async function readBody(req: IncomingMessage, limit = 16 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** UTF-16 offsets to code-point offsets. */
function toCodePoints(text: string, utf16: number): number {
  let cp = 0;
  for (let i = 0; i < utf16 && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff)) cp++;
  }
  return cp;
}

export async function startServer(options: ServeOptions): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const { model, name } = options;
  // one scoring at a time: a model is not re-entrant
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };
  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.method === 'GET' && req.url?.replace(/\/$/, '') === '/v1/models') {
          return send(res, 200, { object: 'list', data: [{ id: name, object: 'model', owned_by: 'codegen-eval' }] });
        }
        if (req.method !== 'POST' || req.url?.replace(/\/$/, '') !== '/v1/completions') return error(res, 404, `no route ${req.method} ${req.url}`);
        let body: { model?: string; prompt?: string | string[]; max_tokens?: number; echo?: boolean; logprobs?: number | null };
        try {
          body = JSON.parse(await readBody(req)) as typeof body;
        } catch {
          return error(res, 400, 'the body must be JSON');
        }
        if (body.model !== undefined && body.model !== name) return error(res, 404, `model '${body.model}' is not served here (this server serves '${name}')`);
        if ((body.max_tokens ?? 16) !== 0 || !body.echo) return error(res, 400, 'this server scores prompts only: send max_tokens 0 with echo true and logprobs');
        const prompts = Array.isArray(body.prompt) ? body.prompt : [body.prompt ?? ''];
        if (!prompts.every((p) => typeof p === 'string')) return error(res, 400, 'prompt must be a string or a list of strings');
        const k = Math.max(0, Math.min(20, Number(body.logprobs ?? 0)));
        const choices = [];
        let total = 0;
        for (const [index, prompt] of prompts.entries()) {
          const scores = await exclusive(() => model.score(prompt, `request-${index}`, k));
          total += scores.tokens.length;
          choices.push({
            index,
            text: prompt,
            finish_reason: 'length',
            logprobs: {
              tokens: scores.tokens,
              token_logprobs: Array.from(scores.logprobs, (v) => (Number.isFinite(v) ? v : null)),
              top_logprobs: k > 0 ? scores.tokens.map((_, j) => (scores.top?.[j] ? Object.fromEntries(scores.top[j].map((t) => [t.token, t.logprob])) : null)) : null,
              text_offset: Array.from({ length: scores.tokens.length }, (_, j) => toCodePoints(prompt, scores.offsets[2 * j])),
            },
          });
        }
        send(res, 200, { id: `cmpl-${Date.now().toString(36)}`, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: name, choices, usage: { prompt_tokens: total, completion_tokens: 0, total_tokens: total } });
      } catch (e) {
        options.log?.(`error: ${(e as Error).message}`);
        if (!res.headersSent) error(res, 500, (e as Error).message);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 8000, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}/v1`;
  return { server, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
