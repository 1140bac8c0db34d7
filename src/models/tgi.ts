/**
 * `tgi:URL`: a Hugging Face text-generation-inference server. TGI's OpenAI-style routes give no
 * prompt log-probs; its native POST {URL}/generate does, with `decoder_input_details: true`
 * (details.prefill = [{id, text, logprob}], router/src/lib.rs `PrefillToken`). One new token is
 * asked for (TGI requires max_new_tokens >= 1) and ignored. The model's identity comes from GET
 * {URL}/info (model_id and model_sha), so a server that now serves other weights is a new model.
 */
import { UserError } from '../util/errors.ts';
import { requestJson, requestPolicy, type RemoteOptions } from './http.ts';
import { readTgiAnswer } from './serverAnswers.ts';
import type { ScoringModel, TokenScores } from './types.ts';

export async function openTgi(spec: string, rest: string, options: RemoteOptions = {}): Promise<ScoringModel> {
  const base = rest.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(base)) throw new UserError(`${spec}: the spec is tgi:URL with an http(s) URL`, { hint: 'e.g. tgi:http://localhost:8080' });
  const policy = requestPolicy(options, 'is this a text-generation-inference server?');
  const info = await requestJson(`${base}/info`, undefined, policy);
  const modelId = typeof info === 'object' && info !== null ? (info as Record<string, unknown>).model_id : undefined;
  if (typeof modelId !== 'string') throw new UserError(`${base}/info gave no model_id: ${JSON.stringify(info)?.slice(0, 200)}`, { hint: 'is this a text-generation-inference server?' });
  const modelSha = (info as Record<string, unknown>).model_sha;
  const url = `${base}/generate`;
  return {
    spec,
    kind: 'tgi',
    identity: `tgi:${base}#${modelId}@${typeof modelSha === 'string' ? modelSha : 'unknown'}`,
    info: { url: base, model: modelId, modelSha: modelSha ?? null, firstToken: 'as the server gives it (null: unscored)' },
    concurrency: options.concurrency ?? 4,
    async score(text: string): Promise<TokenScores> {
      const body = await requestJson(url, { inputs: text, parameters: { max_new_tokens: 1, decoder_input_details: true, details: true, do_sample: false } }, policy);
      return readTgiAnswer(body, text, url);
    },
    dispose: async () => {},
  };
}
