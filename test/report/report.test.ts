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
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReport } from '../../src/report/build.ts';
import { findBrowser, launchBrowser, type BrowserChoice } from '../../src/report/pdf.ts';
import { simulate } from './simulate.ts';
import { tempDir } from '../helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));

test('a report on a simulated model recovers the known effects and writes HTML, LaTeX, JSON and a PDF', async () => {
  const dir = tempDir('cge-report-');
  process.env.SOURCE_DATE_EPOCH = '1700000000';
  const logprobs = join(dir, 'sim.jsonl');
  const testbeds = ['remove-comments', 'has-docstring'];
  await simulate(logprobs, testbeds);
  const browser = findBrowser();
  // a system tool may be missing on a user's machine, never under CI=true
  const requireTool = (ok: boolean, what: string) => {
    if (ok) return;
    assert.ok(process.env.CI !== 'true', `${what} is missing under CI=true`);
    console.warn(`PART NOT CHECKED: ${what} is missing`);
  };
  requireTool(browser !== null, 'Chromium (apt install chromium, or the npm-bundled @sparticuz/chromium)');
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

  // the treated arm's token probabilities are shifted: their distribution moves away from control's
  assert.ok(overall.jsDistance !== null && overall.jsDistance > 0.05 && overall.jsDistance <= 1, `JS distance ${overall.jsDistance}`);
  const lines = analysis.correlations.find((c) => c.covariate === 'lines');
  assert.ok(lines && lines.ci[0] <= lines.rho && lines.rho <= lines.ci[1], 'correlations carry their CIs');
  assert.ok(analysis.covariates.some((c) => c.covariate === 'astDepth' && c.n > 100 && c.min <= c.median && c.median <= c.max));

  const docstring = analysis.observational.find((o) => o.concept === 'decision');
  assert.ok(docstring, 'observational effects per concept are reported');
  const regression = docstring.estimates.find((e) => e.method === 'regression')!;
  assert.ok(regression.ci[0] < -0.3 && -0.3 < regression.ci[1], `regression CI ${JSON.stringify(regression.ci)} covers the true -0.3`);
  const aipw = docstring.estimates.find((e) => e.method === 'aipw')!;
  assert.ok(aipw.ci[0] < -0.3 && -0.3 < aipw.ci[1], `AIPW CI ${JSON.stringify(aipw.ci)} covers -0.3`);
  // AIPW says which population it estimates for: all units, or those kept by Crump et al.'s rule
  const trimmedWarning = aipw.warnings.find((w) => /were trimmed \(Crump et al\. 2009/.test(w));
  assert.equal(Boolean(aipw.population), Boolean(trimmedWarning), `population ${aipw.population}, warnings ${aipw.warnings.join('; ')}`);
  const matching = docstring.estimates.find((e) => e.method === 'matching')!;
  assert.ok(matching.ci[0] < -0.3 && -0.3 < matching.ci[1], `matching CI ${JSON.stringify(matching.ci)} covers -0.3`);
  assert.ok(analysis.balance && analysis.balance.rows.length > 3, 'balance is reported');

  assert.equal(analysis.decomposition[0].concept, 'natural_language', 'the 2-nat harder concept ranks worst');
  const node = (language: string, type: string) => analysis.nodeTypes.find((n) => n.language === language && n.nodeType === type);
  const comment = node('python', 'comment');
  const identifier = node('python', 'identifier');
  assert.ok(comment && identifier && comment.ci[1] < identifier.ci[0], 'python comments (2 nats harder) sit below identifiers, CIs apart');
  const nl = analysis.decomposition[0];
  assert.ok(nl.ci[0] <= nl.meanLogprob && nl.meanLogprob <= nl.ci[1]);

  const html = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
  assert.equal((html.match(/<svg/g) ?? []).length >= 3, true, 'figures are inlined');
  assert.match(html, /natural_language/);
  assert.match(html, /remove-comments/);
  // no value missing from the template (the code shown, JavaScript's `undefined` included, aside)
  assert.doesNotMatch(html.replace(/<pre class="code[^"]*">[\s\S]*?<\/pre>/g, '').replace(/url\(data:font\/woff2;base64,[^)]*\)/g, ''), /NaN|undefined|\[object Object\]/);
  // the fonts are inside the page: it needs nothing beside it, and looks the same on every machine
  assert.match(html, /@font-face \{\n  font-family: 'Arimo';[\s\S]*?src: url\(data:font\/woff2;base64,/);
  assert.doesNotMatch(html, /url\((?!data:)/);
  const tex = readFileSync(join(dir, 'report', 'tables.tex'), 'utf8');
  assert.match(tex, /\\toprule[\s\S]*natural\\_language[\s\S]*\\bottomrule/);
  const json = JSON.parse(readFileSync(join(dir, 'report', 'results.json'), 'utf8')) as { analyses: { paired: { concept: string; estimate: number; ci: [number, number] }[]; decomposition: { concept: string; meanLogprob: number }[] }[] };
  assert.equal(json.analyses[0].paired.length, analysis.paired.length);
  // every number in results.json is the one the HTML and LaTeX show (to their printed precision)
  for (const e of json.analyses[0].paired) {
    const shown = `<td class="l">${e.concept}</td><td>[0-9]+</td><td>[^<]+</td><td>[^<]+</td><td>${e.estimate.toFixed(3)}</td><td>\\[${e.ci[0].toFixed(3)}, ${e.ci[1].toFixed(3)}\\]</td>`;
    assert.match(html, new RegExp(shown.replace(/[()]/g, '\\$&')), `HTML row of ${e.concept}`);
    assert.ok(tex.includes(`& $${e.estimate.toFixed(3)}$ & [$${e.ci[0].toFixed(3)}$, $${e.ci[1].toFixed(3)}$]`), `LaTeX row of ${e.concept}`);
  }
  for (const d of json.analyses[0].decomposition) assert.ok(html.includes(`<td class="l">${d.concept}</td>`) && html.includes(`<td>${d.meanLogprob.toFixed(3)}</td>`), d.concept);
  const manifest = JSON.parse(readFileSync(join(dir, 'report', 'manifest.json'), 'utf8')) as { testbeds: { sha256: string }[]; versions: Record<string, string>; config: { seed: number } };
  assert.equal(manifest.testbeds.length, 2);
  assert.match(manifest.testbeds[0].sha256, /^[0-9a-f]{64}$/);
  assert.equal(manifest.config.seed, 0);
  assert.ok(manifest.versions.vega && manifest.versions.node);

  if (browser) {
    const pdf = join(dir, 'report', 'report.pdf');
    assert.equal(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
    const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' });
    requireTool(!info.error, 'pdfinfo (apt install poppler-utils)');
    if (!info.error) assert.ok(Number(/Pages:\s+(\d+)/.exec(info.stdout)?.[1]) >= 3, info.stdout);
    const text = spawnSync('pdftotext', [pdf, '-'], { encoding: 'utf8' });
    requireTool(!text.error, 'pdftotext (apt install poppler-utils)');
    if (!text.error) assert.match(text.stdout, /Why: interventions/);
    const page = join(dir, 'page');
    if (spawnSync('pdftoppm', ['-gray', '-r', '30', '-f', '1', '-singlefile', pdf, page]).status === 0) {
      assert.ok(inkFraction(readFileSync(`${page}.pgm`)) > 0.01, 'page 1 of the PDF has ink');
    }
    await checkInBrowser(browser, join(dir, 'report', 'index.html'));
  }

  // the same call again, on the same database: every score is cached, and the files are the same bytes
  // (the clock is only in run-log.json; SOURCE_DATE_EPOCH, set above, stamps the PDF's dates)
  const promised = ['index.html', 'results.json', 'tables.tex', 'manifest.json', ...(browser ? ['report.pdf'] : []), ...readdirSync(join(dir, 'report', 'figures')).map((f) => `figures/${f}`)];
  const first = new Map(promised.map((f) => [f, readFileSync(join(dir, 'report', f))]));
  const firstResults = JSON.parse(first.get('results.json')!.toString()) as { models: { tokens: number }[] };
  assert.ok(firstResults.models[0].tokens > 10_000, 'the model row counts the tokens scored');
  const again = await buildReport({ models: [`logprobs:${logprobs}`], testbeds, out: join(dir, 'report'), db: join(dir, 'scores.duckdb'), pdf: browser !== null, bootstrapReplicates: 300, quiet: true });
  assert.deepEqual(again.analyses[0].runIds, analysis.runIds);
  for (const f of promised) assert.ok(readFileSync(join(dir, 'report', f)).equals(first.get(f)!), `${f} is byte-identical on the second run (all scores cached)`);
  const log = JSON.parse(readFileSync(join(dir, 'report', 'run-log.json'), 'utf8')) as { tokensScored: number; wallSeconds: number };
  assert.equal(log.tokensScored, 0, 'the second run scored nothing');
  if (browser && !spawnSync('pdfinfo', ['-v']).error) {
    assert.match(spawnSync('pdfinfo', ['-isodates', join(dir, 'report', 'report.pdf')], { encoding: 'utf8' }).stdout, /CreationDate:\s+2023-11-14T22:13:20/);
  }

  // two models make one comparison report; the candidate is the same model with natural-language
  // tokens 1 nat easier: it must win there and overall, and lose nowhere
  const other = join(dir, 'other.jsonl');
  await simulate(other, ['remove-comments'], 7, 1);
  const comparison = await buildReport({ models: [`logprobs:${logprobs}`, `logprobs:${other}`], testbeds: ['remove-comments'], out: join(dir, 'compare'), db: join(dir, 'scores.duckdb'), pdf: false, bootstrapReplicates: 200, quiet: true });
  assert.equal(comparison.analyses.length, 2);
  const winnerOf = (concept: string) => comparison.comparisons.find((c) => c.concept === concept)?.winner;
  // models are named by their file's name in tables and figures
  assert.equal(winnerOf('natural_language'), 'other');
  assert.equal(winnerOf('(all tokens)'), 'other');
  assert.ok(!comparison.comparisons.some((c) => c.winner === 'sim'), 'the baseline wins nowhere');
  const compareHtml = readFileSync(join(dir, 'compare', 'index.html'), 'utf8');
  assert.match(compareHtml, /Model comparison/);
  assert.match(compareHtml, /other is better than sim on /);
});

/** The fraction of dark pixels in a binary PGM (P5) image. */
function inkFraction(pgm: Buffer): number {
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 50).toString('latin1'));
  assert.ok(header, 'a PGM image');
  const pixels = pgm.subarray(header[0].length);
  let dark = 0;
  for (const v of pixels) if (v < 160) dark++;
  return dark / pixels.length;
}

/** Open the HTML in headless Chromium: no console errors, and a screenshot with ink on it. */
async function checkInBrowser(choice: BrowserChoice, htmlFile: string): Promise<void> {
  const { pathToFileURL } = await import('node:url');
  const chromium = await launchBrowser(choice);
  try {
    const page = await chromium.newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.setViewport({ width: 1000, height: 1400 });
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    assert.deepEqual(errors, []);
    const png = await page.screenshot({ type: 'png', encoding: 'base64' });
    const ink = await page.evaluate(async (data: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, img.width, img.height).data;
      let dark = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] < 480) dark++;
      return dark / (px.length / 4);
    }, png);
    assert.ok(ink > 0.01, `the screenshot has ink (${ink})`);
  } finally {
    await chromium.close();
  }
}

test('report: code from the corpus is shown as text, never as markup', async () => {
  const dir = tempDir('cge-escape-');
  const corpus = join(dir, 'corpus.jsonl');
  const evil = (i: number) => `function f${i}(a, b) {\n  // </script><script>alert(${i})</script><img src=x onerror="alert(${i})">\n  const s = '</style><b>bold ${i}</b>';\n  if (a > b) { return a - b; }\n  return a + b + s.length;\n}\n`;
  writeFileSync(corpus, Array.from({ length: 12 }, (_, i) => JSON.stringify({ language: 'javascript', code: evil(i) })).join('\n'));
  const { buildTestbed } = await import('../../src/testbeds/build.ts');
  await buildTestbed({ corpus, out: join(dir, 'tb'), intervention: 'remove-comments' });
  const logprobs = join(dir, 'sim.jsonl');
  await simulate(logprobs, [join(dir, 'tb')]);
  await buildReport({ models: [`logprobs:${logprobs}`], testbeds: [join(dir, 'tb')], out: join(dir, 'report'), db: join(dir, 'scores.duckdb'), pdf: false, bootstrapReplicates: 100, quiet: true });
  const html = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
  assert.match(html, /&lt;\/script&gt;&lt;script&gt;alert\(/, 'the snippet is shown, escaped');
  assert.doesNotMatch(html, /<script|<img|onerror="|<b>bold/i);
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
  assert.ok(!existsSync(join(cwd, 'reports')), 'nothing is scored before the browser is known to be wrong');

  const one = spawnSync(process.execPath, [BIN, 'compare', '--models', 'demo'], { cwd, encoding: 'utf8' });
  assert.equal(one.status, 2);
  assert.match(one.stderr, /compare needs at least two models/);

  writeFileSync(join(cwd, 'bad.conf'), 'report {\n  seed = 1\n  bootstrap = 10\n}\n');
  const badConfig = spawnSync(process.execPath, [BIN, 'report', '--model', 'demo', '--config', 'bad.conf', '--no-pdf'], { cwd, encoding: 'utf8' });
  assert.equal(badConfig.status, 2);
  assert.match(badConfig.stderr, /bad\.conf:3.*'report\.bootstrap' must be a whole number of at least 50/);
  assert.doesNotMatch(badConfig.stderr, /\n\s+at /);
});

test('cli: report and compare end to end with the shipped demo models on a shipped testbed', () => {
  const cwd = tempDir('cge-e2e-');
  const common = ['--testbed', 'remove-comments', '--bootstrap', '200', '--db', 'scores.duckdb', '--quiet'];
  const report = spawnSync(process.execPath, [BIN, 'report', '--model', 'demo', '--no-pdf', ...common], { cwd, encoding: 'utf8' });
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /report in .*reports\/demo:/);
  // the demo model was trained on the corpus the shipped testbeds come from: the report says so
  const overlap = /demo: (\d+) of (\d+) testbed functions \(\d+%\) are in the model's training data/.exec(report.stderr);
  assert.ok(overlap && Number(overlap[1]) > 0.8 * Number(overlap[2]), report.stderr);
  for (const file of ['index.html', 'tables.tex', 'results.json', 'manifest.json', 'figures/decomposition.svg', 'figures/decomposition.vl.json']) {
    assert.ok(existsSync(join(cwd, 'reports', 'demo', file)), file);
  }
  const results = JSON.parse(readFileSync(join(cwd, 'reports', 'demo', 'results.json'), 'utf8')) as { analyses: { paired: { concept: string; pairs: number }[] }[] };
  const all = results.analyses[0].paired.find((p) => p.concept === '(all tokens)');
  assert.ok(all && all.pairs > 150, 'the demo model is scored on the whole testbed');

  const compare = spawnSync(process.execPath, [BIN, 'compare', '--models', 'demo,demo-gru', '--no-pdf', ...common], { cwd, encoding: 'utf8' });
  assert.equal(compare.status, 0, compare.stderr);
  assert.match(compare.stdout, /reports\/demo-vs-demo-gru/);
  const compared = JSON.parse(readFileSync(join(cwd, 'reports', 'demo-vs-demo-gru', 'results.json'), 'utf8')) as { comparisons: { concept: string; candidate: string; snippets: number }[] };
  const overall = compared.comparisons.find((c) => c.concept === '(all tokens)');
  assert.ok(overall && overall.candidate === 'demo-gru' && overall.snippets > 150);
  const manifest = JSON.parse(readFileSync(join(cwd, 'reports', 'demo-vs-demo-gru', 'manifest.json'), 'utf8')) as { command: string[]; runs: unknown[] };
  assert.deepEqual(manifest.command.slice(0, 4), ['codegen-eval', 'compare', '--models', 'demo,demo-gru']);
  assert.equal(manifest.runs.length, 2);
});

test('report: degenerate testbeds are said, not silent: no rows is an error, one pair a warning on stderr and in the report', () => {
  const cwd = tempDir('cge-degenerate-');
  const source = fileURLToPath(new URL('../../testbeds/remove-comments', import.meta.url));
  const manifest = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')) as { name: string; counts: { rows: number; pairs?: number; byLanguage: Record<string, number> } };
  const rows = readFileSync(join(source, 'rows.jsonl'), 'utf8').split('\n').filter(Boolean);
  const first = JSON.parse(rows[0]) as { pairId: string };
  const pair = rows.filter((r) => (JSON.parse(r) as { pairId: string }).pairId === first.pairId);
  assert.equal(pair.length, 2);
  const write = (name: string, lines: string[]) => {
    cpSync(source, join(cwd, name), { recursive: true });
    writeFileSync(join(cwd, name, 'rows.jsonl'), lines.map((l) => `${l}\n`).join(''));
    writeFileSync(join(cwd, name, 'manifest.json'), JSON.stringify({ ...manifest, name, counts: { ...manifest.counts, rows: lines.length } }));
  };
  write('one-pair', pair);
  write('empty', []);
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'report', '--model', 'demo', '--no-pdf', '--db', 'scores.duckdb', '--quiet', ...args], { cwd, encoding: 'utf8' });

  const empty = run('--testbed', './empty', '--out', 'r-empty');
  assert.equal(empty.status, 1, empty.stderr);
  assert.match(empty.stderr, /testbed empty \(.*empty\) has no rows/);
  assert.ok(!existsSync(join(cwd, 'r-empty')), 'nothing written');
  assert.doesNotMatch(empty.stderr, /\n\s+at /);

  const one = run('--testbed', './one-pair', '--out', 'r-one');
  assert.equal(one.status, 0, one.stderr);
  assert.match(one.stderr, /warning: one-pair: no effect is reported for the whole snippets: 1 complete pair, a paired test needs 5/);
  const html = readFileSync(join(cwd, 'r-one', 'index.html'), 'utf8');
  assert.match(html, /one-pair: no effect is reported for the whole snippets: 1 complete pair, a paired test needs 5/);
  const results = JSON.parse(readFileSync(join(cwd, 'r-one', 'results.json'), 'utf8')) as { analyses: { paired: unknown[]; omitted: { concept: string; reason: string }[] }[] };
  assert.equal(results.analyses[0].paired.length, 0);
  assert.ok(results.analyses[0].omitted.some((o) => o.concept === '(all tokens)'));

  const broken = join(cwd, 'no-rows-file');
  cpSync(source, broken, { recursive: true });
  rmSync(join(broken, 'rows.jsonl'));
  const missing = run('--testbed', './no-rows-file', '--out', 'r-missing');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /has a manifest but no rows\.jsonl/);
});
