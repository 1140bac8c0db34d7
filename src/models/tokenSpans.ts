/**
 * Character spans of a server's prompt tokens, derived from the prompt and the tokens' own texts,
 * never from the server's `text_offset` alone.
 *
 * Why: servers decode each token on its own (vLLM `convert_ids_list_to_tokens` calls
 * `tokenizer.decode([id])`; TGI `batch_decode` of the prefill ids), so a token holding part of a
 * UTF-8 character comes back as U+FFFD, and vLLM's `text_offset` (a running sum of those decoded
 * lengths) drifts from the prompt after the first such token. The tokens still cover the prompt's
 * UTF-8 bytes in order, so the spans can be recovered exactly by matching on bytes:
 *
 * - a character of the token must equal the prompt's bytes at the current position;
 * - a U+FFFD is what a lossy UTF-8 decode (Python `errors="replace"`, Rust `from_utf8_lossy`, WHATWG)
 *   writes for a maximal invalid subpart: at a continuation byte it stands for that one byte (an
 *   orphan); at the start of a multi-byte character, and only as the token's last piece, it stands
 *   for a truncated prefix of 1 to n-1 bytes; it may also be a real U+FFFD in the prompt;
 * - `bytes:\xe4\xbd` (OpenAI's spelling of a token that is not valid UTF-8) gives the bytes exactly.
 *
 * Every token boundary keeps the set of byte positions that some complete reading allows (a forward
 * pass, then a backward one from the prompt's end). Each boundary maps to a UTF-16 offset the way the
 * built-in tokenizer does (a byte inside a character maps to that character's start); if the readings
 * disagree on a boundary's offset, the answer cannot be read exactly and that is an error.
 *
 * Two shapes of real tokenizers are read on top of this, each only where the strict reading fails:
 * a leading special token that is not in the prompt (`<s>`, `<|endoftext|>`: what servers prepend as
 * BOS) is dropped; and a SentencePiece piece decoded on its own loses its leading space (`▁def`
 * decodes as `def`), so a token may also start one space early.
 */
import { utf8ToUtf16Table } from '../syntax/offsets.ts';

export class TokenSpanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenSpanError';
  }
}

export interface DerivedSpans {
  /** UTF-16 spans [start0, end0, ...] of the tokens kept (the dropped prefix token excluded). */
  offsets: Int32Array;
  /** 1 when the first token was a special token not in the prompt (dropped), else 0. */
  droppedPrefix: number;
}

type Segment = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'replacement' };

const REPLACEMENT = 0xfffd;
const encoder = new TextEncoder();
/** Sets of positions per boundary stay tiny on real text; this bounds a pathological answer. */
const MAX_READINGS = 256;

function segmentsOf(token: string): Segment[] {
  if (token.startsWith('bytes:') && token.length > 6) {
    const body = token.slice(6);
    const bytes: number[] = [];
    for (let i = 0; i < body.length; ) {
      const escape = /^\\x([0-9a-fA-F]{2})/.exec(body.slice(i, i + 4));
      if (escape) {
        bytes.push(parseInt(escape[1], 16));
        i += 4;
      } else {
        const cp = body.codePointAt(i)!;
        bytes.push(...encoder.encode(String.fromCodePoint(cp)));
        i += cp > 0xffff ? 2 : 1;
      }
    }
    return [{ kind: 'bytes', bytes: Uint8Array.from(bytes) }];
  }
  const segments: Segment[] = [];
  for (const ch of token) segments.push(ch.codePointAt(0) === REPLACEMENT ? { kind: 'replacement' } : { kind: 'bytes', bytes: encoder.encode(ch) });
  return segments;
}

const isContinuation = (b: number) => (b & 0xc0) === 0x80;
const sequenceLength = (lead: number) => (lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1);

/** Byte positions where a token that starts at `start` can end. */
function ends(prompt: Uint8Array, segments: Segment[], start: number, spaceBefore: boolean): number[] {
  let positions = [start];
  if (spaceBefore && prompt[start] === 0x20 && segments.length > 0) positions = [start + 1];
  for (let s = 0; s < segments.length && positions.length > 0; s++) {
    const segment = segments[s];
    const next = new Set<number>();
    for (const p of positions) {
      if (segment.kind === 'bytes') {
        const b = segment.bytes;
        let ok = p + b.length <= prompt.length;
        for (let i = 0; ok && i < b.length; i++) ok = prompt[p + i] === b[i];
        if (ok) next.add(p + b.length);
        continue;
      }
      if (p >= prompt.length) continue;
      if (prompt[p] === 0xef && prompt[p + 1] === 0xbf && prompt[p + 2] === 0xbd) next.add(p + 3); // a real U+FFFD
      if (isContinuation(prompt[p])) next.add(p + 1); // an orphan continuation byte
      else if (s === segments.length - 1) {
        const n = sequenceLength(prompt[p]);
        for (let k = 1; k < n && p + k <= prompt.length; k++) next.add(p + k); // a truncated prefix
      }
    }
    positions = [...next];
  }
  return positions;
}

function readings(prompt: Uint8Array, tokens: Segment[][], spaceBefore: boolean): number[][] | undefined {
  // forward: reachable byte positions at each boundary, with the positions they came from
  const reach: Map<number, number[]>[] = [new Map([[0, []]])];
  for (let k = 0; k < tokens.length; k++) {
    const here = new Map<number, number[]>();
    for (const p of reach[k].keys()) {
      for (const q of ends(prompt, tokens[k], p, spaceBefore)) {
        const from = here.get(q);
        if (from) from.push(p);
        else here.set(q, [p]);
      }
    }
    if (here.size === 0 || here.size > MAX_READINGS) return undefined;
    reach.push(here);
  }
  if (!reach[tokens.length].has(prompt.length)) return undefined;
  // backward: keep the positions that lie on a complete reading
  const viable: number[][] = new Array(tokens.length + 1);
  viable[tokens.length] = [prompt.length];
  for (let k = tokens.length; k > 0; k--) {
    const previous = new Set<number>();
    for (const q of viable[k]) for (const p of reach[k].get(q) ?? []) previous.add(p);
    viable[k - 1] = [...previous];
  }
  return viable;
}

/** Where the strict reading first fails, for the error message. */
function firstMismatch(prompt: Uint8Array, tokens: Segment[][]): number {
  let positions = new Set([0]);
  for (let k = 0; k < tokens.length; k++) {
    const next = new Set<number>();
    for (const p of positions) for (const q of ends(prompt, tokens[k], p, false)) next.add(q);
    if (next.size === 0) return k;
    positions = next;
  }
  return tokens.length;
}

/**
 * The spans of `tokens` (as the server spelled them) over `prompt`. `firstUnscored`: the first token
 * came without a log-prob, which is where a server's BOS token stands.
 */
export function spansFromTokenTexts(prompt: string, tokens: string[], options: { firstUnscored: boolean }): DerivedSpans {
  for (const [k, token] of tokens.entries()) {
    if (/^token_id:\d+$/.test(token)) {
      throw new TokenSpanError(`token ${k} is given as '${token}' (the server runs with --return-tokens-as-token-ids), and a token id cannot be matched to the prompt's text`);
    }
  }
  const bytes = Buffer.from(prompt, 'utf8');
  const segments = tokens.map(segmentsOf);
  const attempts: { drop: number; spaceBefore: boolean }[] = [
    { drop: 0, spaceBefore: false },
    ...(options.firstUnscored && tokens.length > 0 ? [{ drop: 1, spaceBefore: false }] : []),
    { drop: 0, spaceBefore: true },
    ...(options.firstUnscored && tokens.length > 0 ? [{ drop: 1, spaceBefore: true }] : []),
  ];
  for (const { drop, spaceBefore } of attempts) {
    const viable = readings(bytes, segments.slice(drop), spaceBefore);
    if (!viable) continue;
    // an empty token (vLLM v0's incremental detokenizer gives "" until the text stops ending in
    // U+FFFD) is read as zero-width, which is exact unless what follows is a real U+FFFD: then its
    // bytes may be that character's, and nothing in the answer says how many
    for (let k = 0; k < tokens.length - drop; k++) {
      if (tokens[k + drop] !== '') continue;
      for (const p of viable[k]) {
        if (bytes[p] === 0xef && bytes[p + 1] === 0xbf && bytes[p + 2] === 0xbd) {
          throw new TokenSpanError(`token ${k + drop} has no text and stands before a U+FFFD of the prompt, so how much of the prompt it covers is unknown (the server's detokenizer writes "" for tokens of U+FFFD)`);
        }
      }
    }
    const table = utf8ToUtf16Table(prompt);
    const boundary = viable.map((positions, k) => {
      const offsets = new Set(positions.map((p) => table[p]));
      if (offsets.size !== 1) {
        throw new TokenSpanError(`the tokens around token ${k + drop} (${JSON.stringify(tokens.slice(Math.max(0, k + drop - 2), k + drop + 2))}) can be read over the prompt in more than one way`);
      }
      return [...offsets][0];
    });
    const offsets = new Int32Array(2 * (boundary.length - 1));
    for (let k = 0; k + 1 < boundary.length; k++) {
      offsets[2 * k] = boundary[k];
      offsets[2 * k + 1] = boundary[k + 1];
    }
    return { offsets, droppedPrefix: drop };
  }
  const k = firstMismatch(bytes, segments);
  const covered = tokens.slice(0, k).join('');
  throw new TokenSpanError(
    k < tokens.length
      ? `the answer's tokens do not spell the prompt: token ${k} (${JSON.stringify(tokens[k])}) does not follow ${JSON.stringify(covered.slice(-30))}`
      : `the answer's tokens cover only part of the prompt (${JSON.stringify(covered.slice(-30))} is where they end)`,
  );
}
