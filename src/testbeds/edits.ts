/** Text edits over a snippet: each replaces [start, end) of the original with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Apply non-overlapping edits (any order); overlapping edits are a bug in the intervention. */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new Error(`overlapping edits at ${e.start}`);
    out += source.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + source.slice(pos);
}

/** 1-based line and column of an offset. */
export function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i >= 0 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Edits as a treated row's `meta.edits`: [start, end, text] in the original's UTF-16 offsets, in order. */
export function editsMeta(edits: readonly TextEdit[]): [number, number, string][] {
  return [...edits].sort((a, b) => a.start - b.start).map((e) => [e.start, e.end, e.text]);
}

/** `meta.edits` read back; null when the row records none (or in another shape). */
export function editsFromMeta(meta: Record<string, unknown>): TextEdit[] | null {
  const raw = meta.edits;
  if (!Array.isArray(raw)) return null;
  const edits: TextEdit[] = [];
  for (const e of raw) {
    if (!Array.isArray(e) || e.length !== 3 || !Number.isInteger(e[0]) || !Number.isInteger(e[1]) || typeof e[2] !== 'string' || e[1] < e[0]) return null;
    edits.push({ start: e[0] as number, end: e[1] as number, text: e[2] });
  }
  return edits;
}

/** Where the edits sit in each arm: [start, end) in the original (control) and in the edited (treated) text. */
export function editSites(edits: readonly TextEdit[]): { control: [number, number][]; treated: [number, number][] } {
  const control: [number, number][] = [];
  const treated: [number, number][] = [];
  let shift = 0;
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    control.push([e.start, e.end]);
    treated.push([e.start + shift, e.start + shift + e.text.length]);
    shift += e.text.length - (e.end - e.start);
  }
  return { control, treated };
}

export type TokenRegion = 'edited' | 'unchanged' | 'boundary';

/**
 * Where the tokens of one arm lie against the edit sites. `region`: `edited` overlaps a site;
 * `unchanged` lies wholly in text both arms share; `boundary` spans the point where text was deleted
 * (or inserted), so it is in neither. `after`: one of the `k` tokens that follow a site, up to the next
 * edited token. Tokens are [start, end) spans in the arm's own text, in order.
 */
export function classifyTokens(spans: readonly [number, number][], sites: readonly [number, number][], k: number): { region: TokenRegion[]; after: boolean[] } {
  const region: TokenRegion[] = spans.map(([a, b]) => {
    for (const [s, e] of sites) {
      if (e > s ? a < e && b > s : a < s && b > s) return e > s ? 'edited' : 'boundary';
    }
    return 'unchanged';
  });
  const after = spans.map(() => false);
  for (const [, e] of sites) {
    let taken = 0;
    for (let i = 0; i < spans.length && taken < k; i++) {
      if (spans[i][0] < e) continue;
      if (region[i] === 'edited') break;
      after[i] = true;
      taken++;
    }
  }
  return { region, after };
}
