/**
 * Model specs (`--model`):
 * - `builtin:DIR` or `builtin:NAME` (a folder under ./models, else the shipped models/, e.g. `demo`): a model trained by codegen-eval,
 *   run on onnxruntime-node (its ONNX graph, built in memory) or on a TensorFlow.js backend (`--backend`);
 * - `logprobs:FILE.jsonl`: log-probs computed elsewhere, one record per testbed row;
 * - `openai:URL#MODEL`: an OpenAI-compatible completions server giving prompt log-probs (vLLM, OpenAI, codegen-eval serve);
 * - `tgi:URL`: a Hugging Face text-generation-inference server (its native /generate);
 * - `hf:DIR`: a local Hugging Face folder with ONNX weights, through @huggingface/transformers.
 * A bare path to a model folder is taken as `builtin:`.
 */
import { UsageError } from '../util/errors.ts';
import { openBuiltin, type ScoringBackend } from './builtin.ts';
import { openLogprobsFile } from './logprobsFile.ts';
import { openOpenAI } from './openai.ts';
import { openHf, type HfDtype } from './hf.ts';
import { openTgi } from './tgi.ts';
import type { ScoringModel } from './types.ts';

export type { ScoringModel, TokenScores } from './types.ts';

export interface OpenOptions {
  /** builtin: a TensorFlow.js backend, or onnx (onnxruntime-node; what auto takes when it loads). */
  backend?: ScoringBackend;
  stride?: number;
  /** hf: which weights file (fp32, fp16, q8, q4), as transformers.js names them. */
  dtype?: HfDtype;
  /** openai, tgi: requests in flight. */
  concurrency?: number;
  /** openai, tgi: seconds per attempt, and attempts after the first. */
  timeoutSeconds?: number;
  retries?: number;
  /** openai: the environment variable holding the API key (default OPENAI_API_KEY). */
  apiKeyEnv?: string;
  /** openai, tgi: where to say that a server asked to wait (Retry-After). */
  log?: (message: string) => void;
}

function remote(options: OpenOptions) {
  return { concurrency: options.concurrency, apiKeyEnv: options.apiKeyEnv, log: options.log, retries: options.retries, timeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000 };
}

export async function openModel(spec: string, options: OpenOptions = {}): Promise<ScoringModel> {
  const colon = spec.indexOf(':');
  const scheme = colon > 1 ? spec.slice(0, colon) : '';
  const rest = colon > 1 ? spec.slice(colon + 1) : spec;
  switch (scheme) {
    case 'builtin':
    case '':
      return openBuiltin(spec, rest, options);
    case 'logprobs':
      return openLogprobsFile(spec, rest);
    case 'openai':
      return openOpenAI(spec, rest, remote(options));
    case 'tgi':
      return openTgi(spec, rest, remote(options));
    case 'hf':
      return openHf(spec, rest, { stride: options.stride, dtype: options.dtype });
    default:
      throw new UsageError(`unknown model spec '${spec}'`, 'use builtin:DIR, hf:DIR, openai:URL#MODEL, tgi:URL or logprobs:FILE.jsonl');
  }
}
