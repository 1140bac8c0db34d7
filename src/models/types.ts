/**
 * What every model adapter gives the scorer: for a text, the model's own tokens with their character
 * spans, and for each token the log-probability the model gave it in context.
 *
 * Shift convention: the model's output at position j is its distribution over token j + 1, so token
 * j + 1's log-prob is read from position j (never from position j + 1). The first token of a snippet
 * is conditioned on the model's start/end-of-text token where the model has one (built-in and
 * Hugging Face GPT-2-style models); adapters that cannot score the first token give it NaN, and the
 * aggregates leave NaN tokens out (counting them apart).
 */
export interface TokenScores {
  /** The tokens' texts, as the model split the input. */
  tokens: string[];
  /** The tokens' ids in the model's vocabulary, where the adapter knows them. */
  ids?: Int32Array;
  /** Spans [start0, end0, start1, end1, ...] in UTF-16 units of the scored text. */
  offsets: Int32Array;
  /** Natural-log probability of each token given the tokens before it (NaN: not scored). */
  logprobs: Float64Array;
  /**
   * Rank of the actual token in the model's distribution (1 = the top token), when known; 0 where an
   * adapter knows only that the token was not among the top k it was shown (servers list the top k).
   */
  ranks: Int32Array | null;
  /** Entropy of the predictive distribution at each token, in nats, when known. */
  entropy: Float64Array | null;
  /** The k most likely tokens (text and log-prob) at each position, when asked for. */
  top?: { token: string; logprob: number }[][];
}

export interface ScoringModel {
  /** The spec it was opened from (e.g. builtin:models/gpt). */
  spec: string;
  kind: 'builtin' | 'hf' | 'openai' | 'tgi' | 'logprobs';
  /** A digest of everything that determines the scores (weights, tokenizer, scoring options). */
  identity: string;
  /** Facts about the model for run records and reports. */
  info: Record<string, unknown>;
  /** Score one text; `id` lets file-backed adapters find their record; `topK` asks for the top tokens. */
  score(text: string, id: string, topK?: number): Promise<TokenScores>;
  /**
   * Score several texts at once (local models batch their windows); gives what score() gives for
   * each, in order. The scorer hands it `batchSize` texts at a time.
   */
  scoreBatch?(items: { text: string; id: string }[]): Promise<TokenScores[]>;
  batchSize?: number;
  /**
   * Score prompts given as token ids (as lm-evaluation-harness sends them); each token's text is
   * decoded on its own and spans follow those texts. Local models only.
   */
  scoreTokenIds?(sequences: readonly (readonly number[])[], topK?: number): Promise<TokenScores[]>;
  /** How many score() calls may run at once (remote servers); 1 when absent. */
  concurrency?: number;
  dispose(): Promise<void>;
}
