/**
 * Strict readers of what model servers answer when asked for a prompt's own log-probs. Nothing is
 * stored as it comes: the arrays must agree in length, the tokens must spell the prompt (spans are
 * derived from the prompt and the tokens' texts, `tokenSpans.ts`), log-probs must be finite and at
 * most 0 (the first token may have none), and whatever follows the prompt is cut. A shape that cannot
 * be read exactly is a `UserError` naming the server and what it returned, never numbers.
 *
 * Shapes read (each replayed byte for byte in test/models/servers.test.ts):
 * - OpenAI legacy completions with `echo: true, logprobs: k` (choices[0].logprobs = {tokens,
 *   token_logprobs, top_logprobs, text_offset}), as OpenAI, vLLM and `codegen-eval serve` write it.
 *   vLLM's first prompt token has a null log-prob and top_logprobs entry; vLLM may append generated
 *   tokens after the prompt's (echo with max_tokens > 0, or with 0 in versions that run it as 1):
 *   `usage.prompt_tokens` says where the prompt ends. vLLM floors log-probs at -9999.0: that value is
 *   an error (the true value is lower and unknown). OpenAI spells tokens that are not valid UTF-8 as
 *   `bytes:\xNN...`.
 * - Hugging Face TGI's native `/generate` with `decoder_input_details: true`: details.prefill =
 *   [{id, text, logprob}], the first logprob null.
 */
import { UserError } from '../util/errors.ts';
import { spansFromTokenTexts, TokenSpanError } from './tokenSpans.ts';
import type { TokenScores } from './types.ts';

/** vLLM's floor for a log-prob of -inf (`max(logprob, -9999.0)` in serving_completion.py). */
const VLLM_LOGPROB_FLOOR = -9999;
/** Log-probs a hair above 0 are float rounding of log(1). */
const ROUNDING = 1e-6;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

class AnswerReader {
  constructor(readonly server: string, readonly hint: string) {}
  fail(message: string): never {
    throw new UserError(`${this.server} answered in a shape that cannot be read exactly: ${message}`, { hint: this.hint });
  }
  array(value: unknown, name: string, length?: number): unknown[] {
    if (!Array.isArray(value)) this.fail(`${name} is ${describe(value)}, not an array`);
    if (length !== undefined && value.length !== length) this.fail(`${name} has ${value.length} entries where tokens has ${length}`);
    return value;
  }
  logprob(value: unknown, name: string, nullable: boolean): number {
    if (value === null && nullable) return NaN;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(`${name} is ${describe(value)}, not a finite log-probability`);
    if (value > ROUNDING) this.fail(`${name} is ${value}, a log-probability above 0`);
    if (value <= VLLM_LOGPROB_FLOOR) this.fail(`${name} is ${value}: the server floors log-probs of -inf there, so the true value is unknown`);
    return Math.min(value, 0);
  }
  /** Spans of the prompt tokens; drops a leading BOS that is not in the prompt. */
  spans(prompt: string, tokens: string[], firstUnscored: boolean): { offsets: Int32Array; dropped: number } {
    try {
      const derived = spansFromTokenTexts(prompt, tokens, { firstUnscored });
      return { offsets: derived.offsets, dropped: derived.droppedPrefix };
    } catch (error) {
      if (error instanceof TokenSpanError) this.fail(error.message);
      throw error;
    }
  }
}

const OPENAI_HINT = 'the server must answer POST /v1/completions with echo: true and logprobs as vLLM and OpenAI do (llama.cpp\'s server gives no prompt log-probs; for TGI use tgi:URL)';

/**
 * Token scores of `prompt` from an OpenAI-style completions answer. `topK`: the `logprobs` asked for;
 * a token's rank is known exactly when it lies within the top k the server listed, else it is 0
 * ("not first, rank unknown").
 */
export function readCompletionAnswer(body: unknown, prompt: string, server: string, topK: number): TokenScores {
  const r: AnswerReader = new AnswerReader(server, OPENAI_HINT);
  if (!isObject(body)) r.fail(`the body is ${describe(body)}, not an object`);
  const choices = r.array(body.choices, 'choices');
  if (choices.length === 0) r.fail('choices is empty');
  const choice = choices[0];
  if (!isObject(choice) || !isObject(choice.logprobs)) r.fail(`choices[0].logprobs is ${describe(isObject(choice) ? choice.logprobs : choice)}: no prompt log-probs`);
  const lp = choice.logprobs;
  const tokens = r.array(lp.tokens, 'logprobs.tokens');
  tokens.forEach((t, j) => typeof t !== 'string' && r.fail(`logprobs.tokens[${j}] is ${describe(t)}, not a string`));
  const n = tokens.length;
  const logprobs = r.array(lp.token_logprobs, 'logprobs.token_logprobs', n);
  if (lp.text_offset !== undefined && lp.text_offset !== null) {
    const offsets = r.array(lp.text_offset, 'logprobs.text_offset', n);
    offsets.forEach((o, j) => {
      if (!Number.isInteger(o) || (o as number) < 0 || (j > 0 && (o as number) < (offsets[j - 1] as number))) r.fail(`logprobs.text_offset[${j}] is ${describe(o)}: offsets must be integers that do not go backwards`);
    });
  }
  const tops = lp.top_logprobs === undefined || lp.top_logprobs === null ? null : r.array(lp.top_logprobs, 'logprobs.top_logprobs', n);

  // where the prompt's tokens end
  let promptTokens: number;
  const usage = isObject(body.usage) ? body.usage : undefined;
  if (usage && usage.prompt_tokens !== undefined) {
    const count = usage.prompt_tokens;
    if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > n) r.fail(`usage.prompt_tokens is ${describe(count)} with ${n} tokens in logprobs`);
    promptTokens = count as number;
  } else if (choice.text === prompt) {
    promptTokens = n;
  } else {
    r.fail('it gives neither usage.prompt_tokens nor a text equal to the prompt, so the prompt\'s tokens cannot be told from generated ones');
  }

  const texts = tokens.slice(0, promptTokens) as string[];
  const firstUnscored = logprobs[0] === null;
  const { offsets, dropped } = r.spans(prompt, texts, firstUnscored);
  const kept = promptTokens - dropped;
  const values = new Float64Array(kept);
  const ranks = tops ? new Int32Array(kept) : null;
  for (let k = 0; k < kept; k++) {
    const j = k + dropped;
    values[k] = r.logprob(logprobs[j], `logprobs.token_logprobs[${j}]`, j === 0);
    if (!ranks || !tops || tops[j] === null) continue;
    const top = tops[j];
    if (!isObject(top)) r.fail(`logprobs.top_logprobs[${j}] is ${describe(top)}, not an object`);
    const listed = Object.entries(top).map(([token, v]) => r.logprob(v, `logprobs.top_logprobs[${j}][${JSON.stringify(token)}]`, false));
    // servers compute the listed log-probs and the token's own apart (float32): a hair of slack
    const slack = 1e-6 * Math.max(1, Math.abs(values[k]));
    const better = listed.filter((v) => v > values[k] + slack).length;
    ranks[k] = better < Math.max(1, topK) ? better + 1 : 0;
  }
  return { tokens: texts.slice(dropped), offsets, logprobs: values, ranks, entropy: null };
}

const TGI_HINT = 'the server must be Hugging Face TGI answering POST /generate with details.prefill when asked for decoder_input_details: true';

/** Token scores of `prompt` from a TGI `/generate` answer with `decoder_input_details: true`. */
export function readTgiAnswer(body: unknown, prompt: string, server: string): TokenScores {
  const r: AnswerReader = new AnswerReader(server, TGI_HINT);
  if (!isObject(body)) r.fail(`the body is ${describe(body)}, not an object`);
  if (!isObject(body.details)) r.fail(`it has no details (${describe(body).slice(0, 80)})`);
  const prefill = r.array(body.details.prefill, 'details.prefill');
  const texts = prefill.map((t, j) => {
    if (!isObject(t) || typeof t.text !== 'string' || !Number.isInteger(t.id)) r.fail(`details.prefill[${j}] is ${describe(t)}, not {id, text, logprob}`);
    return t.text;
  });
  const firstUnscored = prefill.length > 0 && (prefill[0] as Record<string, unknown>).logprob === null;
  const { offsets, dropped } = r.spans(prompt, texts, firstUnscored);
  const kept = prefill.length - dropped;
  const values = Float64Array.from({ length: kept }, (_, k) => r.logprob((prefill[k + dropped] as Record<string, unknown>).logprob, `details.prefill[${k + dropped}].logprob`, k + dropped === 0));
  const ids = Int32Array.from({ length: kept }, (_, k) => (prefill[k + dropped] as { id: number }).id);
  return { tokens: texts.slice(dropped), ids, offsets, logprobs: values, ranks: null, entropy: null };
}
