/**
 * `openai:URL#MODEL`: an OpenAI-compatible completions server that gives a prompt's own token
 * log-probs (vLLM, OpenAI's legacy completions, codegen-eval serve): POST {URL}/completions with
 * {model, prompt, max_tokens: 0, echo: true, logprobs: k}. llama.cpp's server gives no prompt
 * log-probs there; TGI gives them only through its native /generate (`tgi:URL`).
 *
 * Every answer goes through the strict reader (`serverAnswers.ts`): spans come from the prompt and
 * the tokens' texts (vLLM's text_offset drifts at tokens that decode to U+FFFD), tokens after the
 * prompt's are cut, log-probs are checked. Requests run with bounded concurrency, a timeout, and
 * retries with backoff (`http.ts`). The API key comes from the environment variable named by
 * `apiKeyEnv` (default OPENAI_API_KEY) and is sent only in the Authorization header: it is never
 * logged or stored. The model's identity for caching is the URL and model name: rescoring assumes
 * the served weights have not changed.
 */
import { UserError } from '../util/errors.ts';
import { requestJson, requestPolicy, type RemoteOptions } from './http.ts';
import { readCompletionAnswer } from './serverAnswers.ts';
import type { ScoringModel, TokenScores } from './types.ts';

export interface OpenAIOptions extends RemoteOptions {
  topK?: number;
}

export function parseOpenAISpec(rest: string): { base: string; model: string } {
  const hash = rest.lastIndexOf('#');
  if (hash < 0) throw new UserError(`openai:${rest}: the spec is openai:URL#MODEL`, { hint: 'e.g. openai:http://localhost:8000/v1#bigcode/starcoder' });
  const base = rest.slice(0, hash).replace(/\/+$/, '');
  const model = rest.slice(hash + 1);
  if (!/^https?:\/\//.test(base) || !model) throw new UserError(`openai:${rest}: the spec is openai:URL#MODEL with an http(s) URL`);
  return { base: /\/v\d+$/.test(base) ? base : `${base}/v1`, model };
}

export async function openOpenAI(spec: string, rest: string, options: OpenAIOptions = {}): Promise<ScoringModel> {
  const { base, model } = parseOpenAISpec(rest);
  const topK = options.topK ?? 1;
  const url = `${base}/completions`;
  const policy = requestPolicy(options, 'check the model name and that the server supports echo with logprobs');
  return {
    spec,
    kind: 'openai',
    identity: `openai:${base}#${model}`,
    info: { url: base, model, firstToken: 'as the server gives it (null: unscored)' },
    concurrency: options.concurrency ?? 4,
    async score(text: string): Promise<TokenScores> {
      const body = await requestJson(url, { model, prompt: text, max_tokens: 0, echo: true, logprobs: topK }, policy);
      return readCompletionAnswer(body, text, url, topK);
    },
    dispose: async () => {},
  };
}
