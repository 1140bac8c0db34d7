/**
 * A simulated model with known structure, as a `logprobs:` file over testbed rows: whitespace-split
 * tokens at -2 nats plus snippet and token noise; natural-language tokens (comments, strings) 2 nats
 * harder (plus `naturalLanguageBonus`); paired treated arms +0.5; observational treated arms -0.3
 * with a size confounder (-0.0006 per character outside comments and docstrings).
 */
import { writeFileSync } from 'node:fs';
import { parseSource, typeName } from '../../src/languages/parser.ts';
import { openTestbed, readTestbedRows } from '../../src/testbeds/read.ts';
import { editSites, editsFromMeta } from '../../src/testbeds/edits.ts';

/** A seeded standard normal (Box-Muller over a small LCG). */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Character spans of comments and strings: the tokens the simulated model finds hard. */
async function naturalLanguageSpans(code: string, language: 'python' | 'javascript'): Promise<[number, number][]> {
  const tree = await parseSource(language, code);
  const spans: [number, number][] = [];
  for (let node = 0; node < tree.size; node++) {
    const type = typeName(tree, node);
    if (type === 'comment' || type === 'string') spans.push([tree.start[node], tree.end[node]]);
  }
  return spans;
}

/**
 * `editSurprise`: added to the treated arm's tokens that overlap an edit site the row records
 * (meta.edits), where the edit put text: a model surprised by a mutation exactly where it is.
 * `offset`: added to every token, as one training run of a model differs from another.
 */
export async function simulate(file: string, testbeds: string[], seed = 7, naturalLanguageBonus = 0, editSurprise = 0, offset = 0): Promise<void> {
  const lines: string[] = [];
  const noise = normals(seed);
  for (const name of testbeds) {
    const testbed = openTestbed(name);
    for await (const row of readTestbedRows(testbed)) {
      const code = row.code;
      const nl = await naturalLanguageSpans(code, row.language as 'python' | 'javascript');
      const tokens: string[] = [];
      const offsets: [number, number][] = [];
      const logprobs: (number | null)[] = [];
      const snippetNoise = 0.2 * noise();
      // a confounder of the observational testbed: longer code is harder (and has docstrings more
      // often); its size outside comments and docstrings, which a docstring does not change, so the
      // docstring's whole effect is the -0.3 below
      const c = row.covariates;
      const recorded = row.arm === 'treated' ? editsFromMeta(row.meta) : null;
      const sites = recorded ? editSites(recorded).treated.filter(([a, b]) => b > a) : [];
      const lengthEffect = testbed.manifest.design === 'observational' ? -0.0006 * (c.chars - c.docstringChars - c.commentChars) : 0;
      for (const m of code.matchAll(/\S+/g)) {
        const start = m.index;
        const end = start + m[0].length;
        tokens.push(m[0]);
        offsets.push([start, end]);
        let lp = -2 + offset + snippetNoise + lengthEffect + 0.3 * noise();
        if (nl.some(([a, b]) => start < b && end > a)) lp += -2 + naturalLanguageBonus;
        if (testbed.manifest.design === 'paired' && row.arm === 'treated') lp += 0.5;
        if (sites.some(([a, b]) => start < b && end > a)) lp += editSurprise;
        if (testbed.manifest.design === 'observational' && row.arm === 'treated') lp -= 0.3;
        logprobs.push(tokens.length === 1 ? null : Math.min(-0.01, lp));
      }
      lines.push(JSON.stringify({ id: row.id, tokens, offsets, logprobs, offset_unit: 'utf16' }));
    }
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

