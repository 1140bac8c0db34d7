/**
 * Model specs (`--model`):
 * - `builtin:DIR` or `builtin:NAME` (a folder under ./models): a model trained by codegen-eval;
 * - `logprobs:FILE.jsonl`: log-probs computed elsewhere, one record per testbed row;
 * - `hf:DIR` and `openai:URL#MODEL` arrive with the ONNX export and the server (see the issues).
 * A bare path to a model folder is taken as `builtin:`.
 */
import { UsageError } from '../util/errors.ts';
import type { BackendName } from '../train/backend.ts';
import { openBuiltin } from './builtin.ts';
import { openLogprobsFile } from './logprobsFile.ts';
import type { ScoringModel } from './types.ts';

export type { ScoringModel, TokenScores } from './types.ts';

export interface OpenOptions {
  backend?: BackendName;
  stride?: number;
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
    case 'hf':
    case 'openai':
      throw new UsageError(`the ${scheme}: adapter is not available yet`, 'use builtin:DIR, or compute log-probs elsewhere and pass logprobs:FILE.jsonl');
    default:
      throw new UsageError(`unknown model spec '${spec}'`, 'use builtin:DIR, logprobs:FILE.jsonl (hf:DIR and openai:URL#MODEL are coming)');
  }
}
