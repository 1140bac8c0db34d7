/**
 * The report stage on the shipped default testbeds, scored by a simulated model whose log-probs have
 * a known structure (a `logprobs:` file), so every effect the report shows has a known truth:
 * - remove-comments: treated tokens get +0.5 nats: the paired effect on all tokens is +0.5;
 * - has-docstring: tokens of snippets with a docstring get -0.3 nats, plus a confounded term (longer
 *   snippets get lower log-probs, and have docstrings more often): adjustment must recover -0.3;
 * - natural-language tokens (comments, docstrings) are 2 nats harder: the decomposition ranks
 *   natural_language last.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReport } from '../../src/report/build.ts';
import { findBrowser } from '../../src/report/pdf.ts';
import { openTestbed, readTestbedRows } from '../../src/testbeds/read.ts';
import { parseSource, typeName } from '../../src/syntax/parser.ts';
import { tempDir } from '../helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));

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

async function simulate(file: string, testbeds: string[], seed = 7): Promise<void> {
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
      // a confounder of the observational testbed: longer snippets are harder (and have docstrings more often)
      const lengthEffect = testbed.manifest.design === 'observational' ? -0.02 * code.split('\n').length : 0;
      for (const m of code.matchAll(/\S+/g)) {
        const start = m.index;
        const end = start + m[0].length;
        tokens.push(m[0]);
        offsets.push([start, end]);
        let lp = -2 + snippetNoise + lengthEffect + 0.3 * noise();
        if (nl.some(([a, b]) => start < b && end > a)) lp -= 2;
        if (testbed.manifest.design === 'paired' && row.arm === 'treated') lp += 0.5;
        if (testbed.manifest.design === 'observational' && row.arm === 'treated') lp -= 0.3;
        logprobs.push(tokens.length === 1 ? null : Math.min(-0.01, lp));
      }
      lines.push(JSON.stringify({ id: row.id, tokens, offsets, logprobs, offset_unit: 'utf16' }));
    }
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

test('a report on a simulated model recovers the known effects and writes HTML, LaTeX, JSON and a PDF', async () => {
  const dir = tempDir('cge-report-');
  const logprobs = join(dir, 'sim.jsonl');
  const testbeds = ['remove-comments', 'has-docstring'];
  await simulate(logprobs, testbeds);
  const browser = findBrowser();
  if (!browser) console.warn('SKIPPED PART: no Chromium (apt install chromium): the PDF is not checked');
  const result = await buildReport({
    models: [`logprobs:${logprobs}`], testbeds, out: join(dir, 'report'), db: join(dir, 'scores.duckdb'),
    pdf: browser !== null, bootstrapReplicates: 300, quiet: true,
  });
  const [analysis] = result.analyses;

  const overall = analysis.paired.find((p) => p.testbed === 'remove-comments' && p.concept === '(all tokens)');
  assert.ok(overall, 'the paired effect on all tokens is reported');
  // the treated arm has no comments (hard tokens) either: its mean rises by 0.5 plus that composition change
  assert.ok(overall.estimate > 0.5 && overall.q < 0.05, `remove-comments effect ${overall.estimate}`);
  const code = analysis.paired.find((p) => p.testbed === 'remove-comments' && p.concept === 'operator');
  assert.ok(code && code.ci[0] < 0.5 && 0.5 < code.ci[1], `a code concept gets exactly +0.5: ${JSON.stringify(code?.ci)}`);

  const docstring = analysis.observational.find((o) => o.concept === 'decision');
  assert.ok(docstring, 'observational effects per concept are reported');
  const regression = docstring.estimates.find((e) => e.method === 'regression')!;
  assert.ok(regression.ci[0] < -0.3 && -0.3 < regression.ci[1], `regression CI ${JSON.stringify(regression.ci)} covers the true -0.3`);
  const aipw = docstring.estimates.find((e) => e.method === 'aipw')!;
  assert.ok(aipw.ci[0] < -0.3 && -0.3 < aipw.ci[1], `AIPW CI ${JSON.stringify(aipw.ci)} covers -0.3`);
  // docstrings and snippet size overlap poorly in this corpus: the report must say so, not hide it
  assert.ok(aipw.warnings.some((w) => /overlap/.test(w)), 'AIPW warns about overlap');
  const matching = docstring.estimates.find((e) => e.method === 'matching')!;
  assert.ok(matching.ci[0] < -0.3 && -0.3 < matching.ci[1], `matching CI ${JSON.stringify(matching.ci)} covers -0.3`);
  assert.ok(analysis.balance && analysis.balance.rows.length > 3, 'balance is reported');

  assert.equal(analysis.decomposition[0].concept, 'natural_language', 'the 2-nat harder concept ranks worst');
  const nl = analysis.decomposition[0];
  assert.ok(nl.ci[0] <= nl.meanLogprob && nl.meanLogprob <= nl.ci[1]);

  const html = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
  assert.equal((html.match(/<svg/g) ?? []).length >= 3, true, 'figures are inlined');
  assert.match(html, /natural_language/);
  assert.match(html, /remove-comments/);
  assert.doesNotMatch(html, /NaN|undefined|\[object Object\]/);
  const tex = readFileSync(join(dir, 'report', 'tables.tex'), 'utf8');
  assert.match(tex, /\\toprule[\s\S]*natural\\_language[\s\S]*\\bottomrule/);
  const json = JSON.parse(readFileSync(join(dir, 'report', 'results.json'), 'utf8')) as { analyses: { paired: unknown[] }[] };
  assert.equal(json.analyses[0].paired.length, analysis.paired.length);

  if (browser) {
    const pdf = join(dir, 'report', 'report.pdf');
    assert.equal(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
    const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' });
    if (info.status === 0) assert.ok(Number(/Pages:\s+(\d+)/.exec(info.stdout)?.[1]) >= 3, info.stdout);
    const text = spawnSync('pdftotext', [pdf, '-'], { encoding: 'utf8' });
    if (text.status === 0) assert.match(text.stdout, /Why: interventions/);
  }

  // a second report on the same database reuses the scores: same run ids, same numbers
  const again = await buildReport({ models: [`logprobs:${logprobs}`], testbeds, out: join(dir, 'report2'), db: join(dir, 'scores.duckdb'), pdf: false, bootstrapReplicates: 300, quiet: true });
  assert.deepEqual(again.analyses[0].runIds, analysis.runIds);
  assert.deepEqual(again.analyses[0].decomposition, analysis.decomposition);

  // two models make one comparison report
  const other = join(dir, 'other.jsonl');
  await simulate(other, ['remove-comments'], 11);
  const comparison = await buildReport({ models: [`logprobs:${logprobs}`, `logprobs:${other}`], testbeds: ['remove-comments'], out: join(dir, 'compare'), db: join(dir, 'scores.duckdb'), pdf: false, bootstrapReplicates: 100, quiet: true });
  assert.equal(comparison.analyses.length, 2);
  const compareHtml = readFileSync(join(dir, 'compare', 'index.html'), 'utf8');
  assert.match(compareHtml, /model comparison/);
  assert.match(compareHtml, /other\.jsonl/);
  assert.match(compareHtml, /sim\.jsonl/);
});

test('report: a missing model or browser is a clear error, not a stack trace', () => {
  const cwd = tempDir();
  const missing = spawnSync(process.execPath, [BIN, 'report', '--model', 'builtin:no-such-model', '--no-pdf'], { cwd, encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no built-in model at no-such-model/);
  assert.match(missing.stderr, /codegen-eval train/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);

  const noBrowser = spawnSync(process.execPath, [BIN, 'report', '--model', 'demo', '--testbed', 'remove-comments'], {
    cwd, encoding: 'utf8', env: { ...process.env, CODEGEN_EVAL_CHROMIUM: join(cwd, 'no-chrome') },
  });
  assert.equal(noBrowser.status, 1, noBrowser.stderr);
  assert.match(noBrowser.stderr, /CODEGEN_EVAL_CHROMIUM names .*no-chrome/);
  assert.doesNotMatch(noBrowser.stderr, /\n\s+at /);
  assert.ok(!existsSync(join(cwd, 'reports')), 'nothing is scored before the browser is known to be missing');
});
