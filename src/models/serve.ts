/**
 * `codegen-eval serve`: a model behind the OpenAI completions protocol, as vLLM serves it and as
 * lm-evaluation-harness (`local-completions`) and the `openai` client use it.
 *
 * POST /v1/completions takes {model, prompt, max_tokens (default 16), echo, logprobs (0-20), stop,
 * temperature (default 1), top_p, top_k, seed, n}; `prompt` is a text, a list of texts, a list of
 * token ids or a list of such lists. Each prompt gives `n` choices (index = prompt * n + sample):
 * with `echo` the prompt's tokens and log-probs come first (token_logprobs[0] is the first token's
 * log-prob given <|endoftext|>, where OpenAI and vLLM give null), then the generated tokens with
 * theirs; `text_offset` counts Unicode code points, as Python servers do; top_logprobs hold the top
 * `logprobs` tokens plus the chosen one, as vLLM writes them. lm-evaluation-harness's loglikelihood
 * request (echo, max_tokens 1, logprobs 1, token ids) is answered so that its parse,
 * token_logprobs[ctxlen:-1], reads exactly the continuation's log-probs. GET /v1/models lists the model.
 *
 * Bounded: bodies above `maxBodyBytes` get 413; requests wait in a queue of at most `maxQueue`
 * (503 with Retry-After when full) and run one at a time (a model is not re-entrant); a request
 * that is not done within `timeoutMs` gets 504; work stops when the client goes away. Errors are
 * OpenAI's JSON shape {error: {message, type, param, code}}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../util/errors.ts';
import { GenerationAborted, type Completion, type Generator } from './generate.ts';
import type { ScoringModel, TokenScores } from './types.ts';

export interface ServeOptions {
  model: ScoringModel;
  /** What generates (built-in GPTs); without it only echo with max_tokens 0 is answered. */
  generator?: Generator;
  name: string;
  host?: string;
  port?: number;
  /** Largest request body (default 16 MiB). */
  maxBodyBytes?: number;
  /** Longest a request may wait and run (default 300 s). */
  timeoutMs?: number;
  /** Requests waiting at most (default 64). */
  maxQueue?: number;
  log?: (message: string) => void;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly param: string | null = null, readonly type = 'invalid_request_error') {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, error: HttpError, headers: Record<string, string> = {}): void {
  send(res, error.status, { error: { message: error.message, type: error.type, param: error.param, code: error.status } }, headers);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `the request body (${declared} bytes) is larger than this server takes (${limit} bytes)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `the request body is larger than this server takes (${limit} bytes)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A completions request, checked. */
interface CompletionRequest {
  prompts: (string | number[])[];
  maxTokens: number;
  echo: boolean;
  logprobs: number | null;
  stop: string[];
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  n: number;
}

function parseRequest(body: unknown, name: string): CompletionRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (b.model !== undefined && b.model !== null && b.model !== name) throw new HttpError(404, `model '${String(b.model)}' is not served here (this server serves '${name}')`, 'model', 'not_found_error');
  if (b.stream === true) throw new HttpError(400, 'streaming is not supported: send stream false', 'stream');
  const isIds = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x) && (x as number) >= 0);
  let prompts: (string | number[])[];
  const p = b.prompt;
  if (typeof p === 'string') prompts = [p];
  else if (isIds(p)) prompts = [p];
  else if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'string')) prompts = p as string[];
  else if (Array.isArray(p) && p.length > 0 && p.every(isIds)) prompts = p as number[][];
  else throw new HttpError(400, 'prompt must be a text, a list of texts, a list of token ids or a list of token-id lists', 'prompt');
  if (prompts.some((x) => x.length === 0)) throw new HttpError(400, 'a prompt is empty', 'prompt');
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const v = b[key] ?? fallback;
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw new HttpError(400, `${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(b[key])}`, key);
    return v as number;
  };
  const num = (key: string, fallback: number, ok: (v: number) => boolean, range: string): number => {
    const v = b[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new HttpError(400, `${key} must be a number ${range}, got ${JSON.stringify(b[key])}`, key);
    return v;
  };
  if (b.echo !== undefined && b.echo !== null && typeof b.echo !== 'boolean') throw new HttpError(400, 'echo must be true or false', 'echo');
  const stopIn = b.stop ?? [];
  const stop = typeof stopIn === 'string' ? [stopIn] : stopIn;
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string')) throw new HttpError(400, 'stop must be a text or a list of texts', 'stop');
  return {
    prompts,
    maxTokens: int('max_tokens', 16, 0, 1_000_000),
    echo: b.echo === true,
    logprobs: b.logprobs === undefined || b.logprobs === null ? null : int('logprobs', 0, 0, 20),
    stop: (stop as string[]).filter((s) => s.length > 0),
    temperature: num('temperature', 1, (v) => v >= 0 && v <= 2, 'from 0 to 2'),
    topP: num('top_p', 1, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    topK: Math.max(0, int('top_k', 0, -1, 1_000_000)),
    seed: b.seed === undefined || b.seed === null ? Math.floor(Math.random() * 2 ** 31) : int('seed', 0, -(2 ** 53), 2 ** 53),
    n: int('n', 1, 1, 64),
  };
}

/** UTF-16 offsets to code points for one text, in one pass. */
function codePointsOf(text: string): Int32Array {
  const table = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    table[i] = cp;
    const c = text.charCodeAt(i);
    if (!(c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00)) cp++;
  }
  table[text.length] = cp;
  return table;
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800)) n++;
  }
  return n;
}

/** vLLM's top_logprobs entry: the top k plus the chosen token. */
function topEntry(top: { token: string; logprob: number }[] | undefined, token: string, logprob: number, k: number): Record<string, number> | null {
  if (!top && !Number.isFinite(logprob)) return null;
  const entry: Record<string, number> = {};
  for (const t of (top ?? []).slice(0, k)) if (!(t.token in entry)) entry[t.token] = t.logprob;
  if (!(token in entry) && Number.isFinite(logprob)) entry[token] = logprob;
  return entry;
}

interface PromptPart { text: string; tokens: string[]; offsets: number[]; logprobs: (number | null)[]; tops: (Record<string, number> | null)[]; count: number }

export async function startServer(options: ServeOptions): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const { model, generator, name } = options;
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const maxQueue = options.maxQueue ?? 64;
  let served = 0;
  // one request's work at a time: a model is not re-entrant
  let chain: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    waiting++;
    const run = chain.then(() => { waiting--; return fn(); }, () => { waiting--; return fn(); });
    chain = run.catch(() => undefined);
    return run;
  };

  async function promptPart(prompt: string | number[], k: number | null): Promise<PromptPart> {
    let scores: TokenScores;
    let text: string;
    if (typeof prompt === 'string') {
      scores = await model.score(prompt, 'request', k ?? 0);
      text = prompt;
    } else {
      if (!model.scoreTokenIds) throw new HttpError(400, 'prompts as token ids need a built-in model', 'prompt');
      try {
        [scores] = await model.scoreTokenIds([prompt], k ?? 0);
      } catch (error) {
        if (error instanceof UserError) throw new HttpError(400, error.message, 'prompt');
        throw error;
      }
      text = scores.tokens.join('');
    }
    const table = codePointsOf(text);
    const offsets = Array.from({ length: scores.tokens.length }, (_, j) => table[scores.offsets[2 * j]]);
    const logprobs = Array.from(scores.logprobs, (v) => (Number.isFinite(v) ? v : null));
    const tops = scores.tokens.map((t, j) => (k === null ? null : topEntry(scores.top?.[j], t, scores.logprobs[j], k)));
    return { text, tokens: scores.tokens, offsets, logprobs, tops, count: scores.tokens.length };
  }

  async function complete(request: CompletionRequest, signal: AbortSignal): Promise<unknown> {
    if (request.maxTokens > 0 && !generator) throw new HttpError(400, `this model (${model.kind}) scores but does not generate: send max_tokens 0 with echo true for prompt log-probs`, 'max_tokens');
    const choices: unknown[] = [];
    let promptTokens = 0;
    let completionTokens = 0;
    for (const prompt of request.prompts) {
      if (signal.aborted) throw new GenerationAborted();
      const needPrompt = request.echo || request.maxTokens === 0 || !generator;
      const part = needPrompt ? await promptPart(prompt, request.logprobs) : undefined;
      let completions: Completion[];
      if (request.maxTokens > 0 && generator) {
        try {
          [completions] = await generator.generate([prompt], {
            maxTokens: request.maxTokens, temperature: request.temperature, topP: request.topP, topK: request.topK,
            seed: request.seed, stop: request.stop, n: request.n, topLogprobs: request.logprobs ?? 0, signal,
          });
        } catch (error) {
          if (error instanceof UserError) throw new HttpError(400, error.message, 'prompt');
          throw error;
        }
        promptTokens += completions[0].promptTokens;
      } else {
        completions = Array.from({ length: request.n }, () => ({ text: '', ids: [], tokens: [], logprobs: [], finishReason: 'length' as const, promptTokens: part!.count }));
        promptTokens += part!.count;
      }
      for (const c of completions) {
        completionTokens += c.ids.length;
        const head = request.echo && part ? part : undefined;
        let logprobs: unknown = null;
        if (request.logprobs !== null) {
          let at = head ? codePointLength(head.text) : 0;
          const genOffsets = c.tokens.map((t) => { const o = at; at += codePointLength(t); return o; });
          logprobs = {
            tokens: [...(head?.tokens ?? []), ...c.tokens],
            token_logprobs: [...(head?.logprobs ?? []), ...c.logprobs],
            top_logprobs: [...(head?.tops ?? []), ...c.tokens.map((t, j) => topEntry(c.top?.[j], t, c.logprobs[j], request.logprobs!))],
            text_offset: [...(head?.offsets ?? []), ...genOffsets],
          };
        }
        choices.push({ index: choices.length, text: `${head ? head.text : ''}${c.text}`, logprobs, finish_reason: c.finishReason, stop_reason: c.stopSequence ?? null });
      }
    }
    return {
      id: `cmpl-${(++served).toString(16).padStart(8, '0')}`, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: name, choices,
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    };
  }

  const server = createServer((req, res) => {
    void (async () => {
      const controller = new AbortController();
      res.on('close', () => { if (!res.writableFinished) controller.abort(); });
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const route = (req.url ?? '').replace(/\?.*$/, '').replace(/\/$/, '');
        if (req.method === 'GET' && route === '/v1/models') {
          return send(res, 200, { object: 'list', data: [{ id: name, object: 'model', created: 0, owned_by: 'codegen-eval' }] });
        }
        if (req.method !== 'POST' || route !== '/v1/completions') throw new HttpError(404, `no route ${req.method} ${req.url}`, null, 'not_found_error');
        const raw = await readBody(req, maxBody);
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          throw new HttpError(400, 'the body must be JSON');
        }
        const request = parseRequest(body, name);
        if (waiting >= maxQueue) throw new HttpError(503, `the server is busy (${waiting} requests waiting); retry later`, null, 'server_error');
        const work = exclusive(async () => {
          if (controller.signal.aborted) throw new GenerationAborted();
          return complete(request, controller.signal);
        });
        // the deadline answers at once; the work itself stops at its next check
        const deadline = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new GenerationAborted()), { once: true }));
        work.catch(() => undefined);
        send(res, 200, await Promise.race([work, deadline]));
      } catch (e) {
        if (e instanceof HttpError) {
          sendError(res, e, e.status === 503 ? { 'retry-after': '1' } : e.status === 413 ? { connection: 'close' } : {});
          if (e.status === 413) req.destroy();
        } else if (e instanceof GenerationAborted) {
          if (!res.destroyed) sendError(res, new HttpError(504, `the request did not finish within ${timeoutMs / 1000} s`, null, 'timeout_error'));
        } else {
          options.log?.(`error: ${(e as Error).stack ?? (e as Error).message}`);
          sendError(res, new HttpError(500, 'internal error: see the server\'s log', null, 'server_error'));
        }
      } finally {
        clearTimeout(timer);
      }
    })();
  });
  const port = options.port ?? 8000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new UserError(`port ${port} on ${host} is in use`, { hint: 'stop what listens there, or serve on another --port' }));
      else if (error.code === 'EACCES') reject(new UserError(`no permission to listen on port ${port} of ${host}`, { hint: 'ports below 1024 need privileges: use another --port' }));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new UserError(`cannot listen on ${host}: not an address of this machine`, { hint: 'use --host 127.0.0.1 or 0.0.0.0' }));
      else reject(error);
    });
    server.listen(port, host, () => resolve());
  });
  server.on('error', (error) => options.log?.(`server error: ${error.message}`));
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}/v1`;
  return {
    server,
    url,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
