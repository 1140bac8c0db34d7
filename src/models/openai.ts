/**
 * `openai:URL#MODEL`: any OpenAI-compatible completions server (vLLM, llama.cpp server, TGI,
 * codegen-eval serve) asked for the prompt's own token log-probs: POST {URL}/completions with
 * {model, prompt, max_tokens: 0, echo: true, logprobs: k}. Requests run with bounded concurrency,
 * a timeout, and retries with exponential backoff (honouring Retry-After) on 429, 5xx and network
 * errors. The API key comes from the environment variable named by `apiKeyEnv` (default
 * OPENAI_API_KEY) and is sent only in the Authorization header: it is never logged or stored.
 * text_offset is read as Unicode code points (Python servers) and converted to UTF-16; a null first
 * log-prob (OpenAI, vLLM) becomes NaN (unscored). The model's identity for caching is the URL and
 * model name: rescoring assumes the served weights have not changed.
 */
import { codePointToUtf16Table } from '../syntax/offsets.ts';
import { UserError } from '../util/errors.ts';
import type { ScoringModel, TokenScores } from './types.ts';

export interface OpenAIOptions {
  concurrency?: number;
  timeoutMs?: number;
  retries?: number;
  topK?: number;
  apiKeyEnv?: string;
  /** Base delay of the backoff, in ms. */
  backoffMs?: number;
}

interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs?: (Record<string, number> | null)[] | null;
  text_offset: number[];
}

export function parseOpenAISpec(rest: string): { base: string; model: string } {
  const hash = rest.lastIndexOf('#');
  if (hash < 0) throw new UserError(`openai:${rest}: the spec is openai:URL#MODEL`, { hint: 'e.g. openai:http://localhost:8000/v1#bigcode/starcoder' });
  const base = rest.slice(0, hash).replace(/\/+$/, '');
  const model = rest.slice(hash + 1);
  if (!/^https?:\/\//.test(base) || !model) throw new UserError(`openai:${rest}: the spec is openai:URL#MODEL with an http(s) URL`);
  return { base: /\/v\d+$/.test(base) ? base : `${base}/v1`, model };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function openOpenAI(spec: string, rest: string, options: OpenAIOptions = {}): Promise<ScoringModel> {
  const { base, model } = parseOpenAISpec(rest);
  const apiKey = process.env[options.apiKeyEnv ?? 'OPENAI_API_KEY'];
  const timeoutMs = options.timeoutMs ?? 120_000;
  const retries = options.retries ?? 5;
  const topK = options.topK ?? 1;
  const backoff = options.backoffMs ?? 500;

  async function request(body: unknown): Promise<{ choices: { logprobs: CompletionLogprobs }[] }> {
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const res = await fetch(`${base}/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
        if (res.ok) return (await res.json()) as { choices: { logprobs: CompletionLogprobs }[] };
        const text = (await res.text()).slice(0, 300);
        lastError = `HTTP ${res.status}: ${text}`;
        if (res.status !== 429 && res.status < 500) throw new UserError(`${base}/completions answered ${lastError}`, { hint: 'check the model name and that the server supports echo with logprobs' });
        const retryAfter = Number(res.headers.get('retry-after'));
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff * 2 ** attempt * (0.5 + Math.random()));
      } catch (error) {
        if (error instanceof UserError) throw error;
        lastError = controller.signal.aborted ? `timed out after ${timeoutMs} ms` : (error as Error).message;
        await sleep(backoff * 2 ** attempt * (0.5 + Math.random()));
      } finally {
        clearTimeout(timer);
      }
    }
    throw new UserError(`${base}/completions failed after ${retries + 1} attempts: ${lastError}`, { hint: 'is the server up and reachable?' });
  }

  return {
    spec,
    kind: 'openai',
    identity: `openai:${base}#${model}`,
    info: { url: base, model, firstToken: 'as the server gives it (null: unscored)' },
    concurrency: options.concurrency ?? 4,
    async score(text: string): Promise<TokenScores> {
      const body = await request({ model, prompt: text, max_tokens: 0, echo: true, logprobs: topK });
      const lp = body.choices?.[0]?.logprobs;
      if (!lp || !Array.isArray(lp.tokens) || !Array.isArray(lp.token_logprobs) || !Array.isArray(lp.text_offset)) {
        throw new UserError(`${base}/completions gave no prompt log-probs`, { hint: 'the server must support echo: true with logprobs (vLLM, llama.cpp server and TGI do)' });
      }
      const table = codePointToUtf16Table(text);
      const n = lp.tokens.length;
      const offsets = new Int32Array(2 * n);
      for (let j = 0; j < n; j++) {
        const start = Math.min(lp.text_offset[j], table.length - 1);
        const end = j + 1 < n ? Math.min(lp.text_offset[j + 1], table.length - 1) : table.length - 1;
        offsets[2 * j] = table[start];
        offsets[2 * j + 1] = table[Math.max(start, end)];
      }
      const ranks = lp.top_logprobs
        ? Int32Array.from(lp.tokens, (tok, j) => {
            const top = lp.top_logprobs?.[j];
            if (!top) return 0;
            const order = Object.entries(top).sort((a, b) => b[1] - a[1]).map(([t]) => t);
            const r = order.indexOf(tok);
            return r >= 0 ? r + 1 : order.length + 1; // beyond the top k
          })
        : null;
      return {
        tokens: lp.tokens,
        offsets,
        logprobs: Float64Array.from(lp.token_logprobs, (v) => (typeof v === 'number' ? v : NaN)),
        ranks,
        entropy: null,
      };
    },
    dispose: async () => {},
  };
}
