/**
 * JSON requests to a model server, as every remote adapter makes them: a timeout per attempt,
 * retries with exponential backoff and jitter on 429, 5xx and network errors (honouring
 * Retry-After, capped so that a server cannot park a run for hours), and a clear error for any other
 * answer. The API key travels only in the Authorization header and is redacted from every message.
 */
import { UserError } from '../util/errors.ts';

export interface RequestPolicy {
  timeoutMs: number;
  retries: number;
  /** Base delay of the backoff, in ms. */
  backoffMs: number;
  /** The longest wait a Retry-After header may ask for, in ms. */
  maxRetryAfterMs?: number;
  apiKey?: string;
  /** What the caller says when it waits (long Retry-After waits). */
  log?: (message: string) => void;
  /** Hint for a 4xx answer. */
  hint?: string;
}

/** What a remote adapter is opened with. */
export interface RemoteOptions {
  concurrency?: number;
  timeoutMs?: number;
  retries?: number;
  /** Base delay of the backoff, in ms. */
  backoffMs?: number;
  /** The environment variable holding the API key (default OPENAI_API_KEY). */
  apiKeyEnv?: string;
  log?: (message: string) => void;
}

/** The request policy of a remote adapter: 120 s per attempt, 5 retries from 500 ms, the key from the environment. */
export function requestPolicy(options: RemoteOptions, hint: string): RequestPolicy {
  return {
    timeoutMs: options.timeoutMs ?? 120_000,
    retries: options.retries ?? 5,
    backoffMs: options.backoffMs ?? 500,
    apiKey: process.env[options.apiKeyEnv ?? 'OPENAI_API_KEY'],
    log: options.log,
    hint,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[redacted]') : text;
}

/** The parsed JSON body of a 2xx answer to a POST of `body` (or a GET when body is undefined). */
export async function requestJson(url: string, body: unknown, policy: RequestPolicy): Promise<unknown> {
  const maxRetryAfter = policy.maxRetryAfterMs ?? 60_000;
  let lastError = '';
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), policy.timeoutMs);
    let wait = policy.backoffMs * 2 ** attempt * (0.5 + Math.random());
    try {
      const res = await fetch(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(policy.apiKey ? { authorization: `Bearer ${policy.apiKey}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      const text = await res.text();
      if (res.ok) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new UserError(`${url} answered ${res.status} with a body that is not JSON: ${JSON.stringify(redact(text.slice(0, 200), policy.apiKey))}`, { hint: 'is this the right URL for the server kind?' });
        }
      }
      lastError = `HTTP ${res.status}: ${redact(text.slice(0, 300), policy.apiKey)}`;
      if (res.status !== 429 && res.status < 500) throw new UserError(`${url} answered ${lastError}`, { hint: policy.hint });
      const retryAfter = Number(res.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) {
        wait = Math.min(retryAfter * 1000, maxRetryAfter);
        if (wait >= 5000 || retryAfter * 1000 > maxRetryAfter) policy.log?.(`${url} asked to retry after ${retryAfter} s; waiting ${(wait / 1000).toFixed(wait < 10_000 ? 2 : 0)} s${retryAfter * 1000 > maxRetryAfter ? ' (the longest wait allowed)' : ''}`);
      }
    } catch (error) {
      if (error instanceof UserError) throw error;
      lastError = controller.signal.aborted ? `timed out after ${policy.timeoutMs} ms` : redact((error as Error).message, policy.apiKey);
    } finally {
      clearTimeout(timer);
    }
    if (attempt < policy.retries) await sleep(wait);
  }
  throw new UserError(`${url} failed after ${policy.retries + 1} attempts: ${lastError}`, { hint: 'is the server up and reachable?' });
}
