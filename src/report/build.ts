/**
 * `report`: score the testbeds with each model (cached in the scores database: a run already scored is
 * not scored again, an interrupted one resumes), analyse, and write a report folder:
 *   index.html   self-contained (inline CSS and SVG figures)
 *   report.pdf   the same page printed by Chromium through puppeteer
 *   tables.tex   booktabs tables for a paper
 *   results.json every number of the report, with the run ids that reproduce it
 *   figures/*.svg and figures/*.vl.json (the vega-lite specs)
 * Several models make one comparison report. Every file is written atomically.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import type { TopLevelSpec } from 'vega-lite';
import { openModel, type OpenOptions } from '../models/index.ts';
import { scoreTestbed } from '../score/score.ts';
import { DEFAULT_DB } from '../score/store.ts';
import { readTestbedPlan } from '../testbeds/plan.ts';
import { openTestbed } from '../testbeds/read.ts';
import type { TestbedManifest } from '../testbeds/build.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { packagePath } from '../util/paths.ts';
import { TOOL_VERSION } from '../util/version.ts';
import { adjustAll, analyzeModel, type ModelAnalysis } from './analyze.ts';
import { decompositionSpec, fontWarning, lovePlotSpec, observationalForestSpec, pairedForestSpec, renderSvg } from './figures.ts';
import { latexTables } from './latex.ts';
import { printPdf, requireBrowser } from './pdf.ts';

export interface ReportOptions {
  models: string[];
  /** Testbed folders or names; default: the testbeds of conf/testbeds.conf. */
  testbeds?: string[];
  out: string;
  db?: string;
  pdf?: boolean;
  seed?: number;
  bootstrapReplicates?: number;
  title?: string;
  modelOptions?: OpenOptions;
  quiet?: boolean;
  log?: (message: string) => void;
}

export interface ReportResult {
  out: string;
  files: string[];
  analyses: ModelAnalysis[];
  warnings: string[];
}

/** `demo` is the small GPT that ships in models/demo. */
function modelSpec(spec: string): string {
  return spec === 'demo' ? `builtin:${packagePath('models', 'demo')}` : spec;
}

const multipleModelsOf = (options: ReportOptions) => (options.models.length > 1 ? '%MODEL%, ' : '');
const f = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const signed = (x: number) => (x > 0 ? `+${f(x)}` : f(x));
const ci = (c: [number, number], digits = 3) => (Number.isFinite(c[0]) ? `[${f(c[0], digits)}, ${f(c[1], digits)}]` : '–');
const pv = (p: number) => (!Number.isFinite(p) ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3));

export async function buildReport(options: ReportOptions): Promise<ReportResult> {
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? 0;
  const replicates = options.bootstrapReplicates ?? 1000;
  const db = resolve(options.db ?? DEFAULT_DB);
  const out = resolve(options.out);
  if (options.pdf !== false) requireBrowser(); // before hours of scoring, not after
  const testbedSpecs = options.testbeds?.length ? options.testbeds : readTestbedPlan().testbeds.map((t) => t.name);
  const testbeds = testbedSpecs.map((spec) => openTestbed(spec));
  const warnings: string[] = [];

  const analyses: ModelAnalysis[] = [];
  const modelRows: { spec: string; kind: string; details: string; tokens: number }[] = [];
  for (const requested of options.models) {
    const model = await openModel(modelSpec(requested), options.modelOptions);
    const runs: { testbed: string; runId: string; manifest: TestbedManifest }[] = [];
    let tokens = 0;
    try {
      for (const testbed of testbeds) {
        log(`scoring ${testbed.manifest.name} with ${requested}`);
        const summary = await scoreTestbed({ model, testbed: testbed.dir, db, quiet: options.quiet });
        runs.push({ testbed: testbed.manifest.name, runId: summary.runId, manifest: testbed.manifest });
        tokens += summary.tokens;
      }
    } finally {
      await model.dispose();
    }
    log(`analysing ${requested}`);
    const { analysis } = await analyzeModel({ db, model: requested, runs, seed, bootstrapReplicates: replicates });
    analyses.push(analysis);
    const info = model.info;
    const details = Object.keys(info).filter((k) => ['string', 'number', 'boolean'].includes(typeof info[k])).map((k) => `${k} ${String(info[k])}`).join(', ');
    modelRows.push({ spec: requested, kind: model.kind, details, tokens });
  }
  adjustAll(analyses);
  const font = fontWarning();
  if (font) warnings.push(font);
  // the overall outcome's diagnostics in full; per-concept ones counted (results.json keeps every one)
  let conceptWarnings = 0;
  for (const a of analyses) {
    for (const o of a.observational) {
      for (const e of o.estimates) {
        if (o.concept === '(all tokens)') for (const w of e.warnings) warnings.push(`${multipleModelsOf(options)}${o.testbed}, ${e.method}: ${w}`.replace('%MODEL%', a.model));
        else conceptWarnings += e.warnings.length;
      }
    }
    for (const r of a.refutations) if (r.verdict === 'failed') warnings.push(`${a.model}, ${r.testbed}: the ${r.refuter} refutation failed: ${r.explanation}`);
  }
  if (conceptWarnings) warnings.push(`${conceptWarnings} further diagnostic warnings on per-concept observational estimates (overlap, unmatched units, residual imbalance): read those estimates with care; results.json lists them`);
  const multipleModels = analyses.length > 1;

  await mkdir(join(out, 'figures'), { recursive: true });
  const files: string[] = [];
  const figures: Record<string, string> = {};
  const writeFigure = async (name: string, spec: TopLevelSpec) => {
    const svg = await renderSvg(spec);
    await writeFileAtomic(join(out, 'figures', `${name}.svg`), svg);
    await writeFileAtomic(join(out, 'figures', `${name}.vl.json`), `${JSON.stringify(spec, null, 2)}\n`);
    files.push(join(out, 'figures', `${name}.svg`));
    return svg;
  };
  figures.decomposition = await writeFigure('decomposition', decompositionSpec(analyses.flatMap((a) => a.decomposition.map((d) => ({ ...d, model: a.model })))));
  const paired = analyses.flatMap((a) => a.paired.map((p) => ({ ...p, model: a.model })));
  if (paired.length) figures.paired = await writeFigure('interventions', pairedForestSpec(paired, multipleModels));
  const observational = analyses.flatMap((a) => a.observational.map((o) => ({ ...o, model: a.model })));
  if (observational.length) figures.observational = await writeFigure('observational', observationalForestSpec(observational, multipleModels));
  const balanceFigures: { model: string; testbed: string; svg: string }[] = [];
  for (const [i, a] of analyses.entries()) {
    if (!a.balance) continue;
    balanceFigures.push({ model: a.model, testbed: a.balance.testbed, svg: await writeFigure(`balance-${i + 1}`, lovePlotSpec(a.balance.rows)) });
  }

  const findings: string[] = [];
  for (const a of analyses) {
    const who = multipleModels ? `${a.model}: ` : '';
    const worst = a.decomposition.slice(0, 3).map((d) => `${d.concept} (${f(d.meanLogprob, 2)})`).join(', ');
    if (worst) findings.push(`${who}hardest concepts by mean log-prob per token: ${worst}.`);
    const significant = a.paired.filter((p) => p.q < 0.05).sort((x, y) => Math.abs(y.estimate) - Math.abs(x.estimate));
    for (const p of significant.slice(0, 6)) findings.push(`${who}${p.intervention} changes the log-prob of ${p.concept} tokens by ${signed(p.estimate)} nats per token (95% CI ${ci(p.ci)}, q ${pv(p.q)}, ${p.pairs} pairs).`);
    if (a.paired.length && !significant.length) findings.push(`${who}no intervention effect is significant after Benjamini–Hochberg correction.`);
    for (const o of a.observational.filter((x) => x.q < 0.05 && x.concept === '(all tokens)')) {
      const reg = o.estimates.find((e) => e.method === 'regression')!;
      findings.push(`${who}${o.treatment} is associated with a change of ${signed(reg.estimate)} nats per token overall after adjustment (95% CI ${ci(reg.ci)}, q ${pv(o.q)}).`);
    }
  }

  const runIds = analyses.flatMap((a) => Object.values(a.runIds));
  const view = {
    title: options.title ?? (multipleModels ? `Code-completion model comparison: ${options.models.join(' vs ')}` : `Code-completion model report: ${options.models[0]}`),
    generated: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    toolVersion: TOOL_VERSION,
    seed,
    bootstrapReplicates: replicates,
    multipleModels,
    models: modelRows,
    findings,
    warnings: [...new Set(warnings)].slice(0, 40),
    testbeds: testbeds.map((t) => ({
      name: t.manifest.name, design: t.manifest.design, treatment: t.manifest.treatment.name, rows: t.manifest.counts.rows,
      languages: Object.keys(t.manifest.counts.byLanguage).join(', '), corpus: t.manifest.source.spec,
    })),
    figures,
    decompositionTables: analyses.map((a) => ({
      model: a.model,
      rows: a.decomposition.map((d) => ({ concept: d.concept, snippets: d.snippets, tokens: d.tokens, mean: f(d.meanLogprob), ci: ci(d.ci), prob: f(d.meanProb), top1: d.top1 === null ? '–' : f(d.top1) })),
    })),
    pairedTables: analyses.flatMap((a) => [...new Set(a.paired.map((p) => p.testbed))].map((testbed) => ({
      title: `${multipleModels ? `${a.model}: ` : ''}${testbed}`,
      rows: a.paired.filter((p) => p.testbed === testbed).map((p) => ({
        concept: p.concept, pairs: p.pairs, control: f(p.control), treated: f(p.treated), estimate: f(p.estimate), ci: ci(p.ci), p: pv(p.p), pWilcoxon: pv(p.pWilcoxon), q: pv(p.q), delta: f(p.cliffsDelta, 2), significant: p.q < 0.05,
      })),
    }))),
    observationalTables: analyses.flatMap((a) => [...new Set(a.observational.map((o) => o.testbed))].map((testbed) => ({
      title: `${multipleModels ? `${a.model}: ` : ''}${testbed}`,
      rows: a.observational.filter((o) => o.testbed === testbed).map((o) => {
        const cell = (method: string) => {
          const e = o.estimates.find((x) => x.method === method);
          return e && Number.isFinite(e.estimate) ? `${f(e.estimate)} ${ci(e.ci)}` : '–';
        };
        return { concept: o.concept, n: o.n, treated: o.treated, matching: cell('matching'), regression: cell('regression'), aipw: cell('aipw'), q: pv(o.q), significant: o.q < 0.05 };
      }),
    }))),
    balanceFigures,
    refutations: analyses.flatMap((a) => a.refutations.map((r) => ({ model: a.model, testbed: r.testbed, refuter: r.refuter, estimate: f(r.originalEstimate), newEffect: f(r.newEstimate), p: r.p === null ? '–' : pv(r.p), verdict: r.verdict }))),
    nodeTypeTables: analyses.map((a) => ({ model: a.model, rows: a.nodeTypes.map((n) => ({ nodeType: n.nodeType, tokens: n.tokens, mean: f(n.meanLogprob), prob: f(n.meanProb) })) })),
    db,
    runIds: runIds.join(', '),
  };
  const template = Handlebars.compile(await readFile(packagePath('templates', 'report.hbs'), 'utf8'), { strict: true });
  const html = template(view);
  const htmlFile = join(out, 'index.html');
  await writeFileAtomic(htmlFile, html);
  files.push(htmlFile);
  await writeFileAtomic(join(out, 'tables.tex'), latexTables(analyses));
  files.push(join(out, 'tables.tex'));
  const results = { format: 'codegen-eval/report@1', toolVersion: TOOL_VERSION, generated: new Date().toISOString(), db, seed, bootstrapReplicates: replicates, testbeds: view.testbeds, models: modelRows, warnings: view.warnings, analyses };
  await writeFileAtomic(join(out, 'results.json'), `${JSON.stringify(results, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  files.push(join(out, 'results.json'));
  if (options.pdf !== false) {
    log('printing the PDF with Chromium');
    const pdf = join(out, 'report.pdf');
    await printPdf(htmlFile, pdf);
    files.push(pdf);
  }
  return { out, files, analyses, warnings: view.warnings };
}
