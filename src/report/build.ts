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
import { nonFinitePaths, toFiniteJson } from '../util/finiteJson.ts';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import type { TopLevelSpec } from 'vega-lite';
import { openModel, type OpenOptions } from '../models/index.ts';
import { scoreTestbed, sha256Files } from '../score/score.ts';
import { DEFAULT_DB, ScoresReader } from '../score/store.ts';
import { shadeTokens } from './tokenShading.ts';
import { readTestbedPlan } from '../testbeds/plan.ts';
import { openTestbed, refuseEmptyTestbed, originalCodeHashes, originalSnippets, readTestbedRows, type TestbedHandle } from '../testbeds/read.ts';
import { readTrainingCorpus } from '../train/corpusRecord.ts';
import { inspectTestbed } from '../testbeds/inspect.ts';
import { adjustmentCovariates } from '../testbeds/treatments.ts';
import { COVARIATE_NAMES } from '../syntax/covariates.ts';
import type { TestbedManifest } from '../testbeds/build.ts';
import { replaceDirectory, writeFileAtomic } from '../util/atomic.ts';
import { checkOutputFolder, recoverInterruptedSwap } from '../util/outputs.ts';
import { UsageError } from '../util/errors.ts';
import { taxonomyFor } from '../syntax/concepts.ts';
import { isLanguageId, type LanguageId } from '../languages/languages.ts';
import { packagePath } from '../util/paths.ts';
import { TOOL_VERSION } from '../util/version.ts';
import { adjustAll, analyzeModel, TOKENS_AFTER_EDIT, type ModelAnalysis } from './analyze.ts';
import { takeFigureWarnings, decompositionSpec, distributionSpec, nodeTypeSpec, lovePlotSpec, overlapSpec, observationalForestSpec, pairedForestSpec, renderSvg } from './figures.ts';
import { latexTables } from './latex.ts';
import { findBrowser, printPdf } from './pdf.ts';
import { describeBrowser, NO_BROWSER_HINT } from './browser.ts';
import { embeddedFontCss } from './fonts.ts';
import { compareModels, type ModelDifference } from './compare.ts';

export interface ReportOptions {
  models: string[];
  /** Only functions of these languages, in every section (default: all). */
  languages?: LanguageId[];
  /** Only these concepts, in every table, figure and test family (default: all). */
  concepts?: string[];
  /** Short names for the models in tables, figures and captions, in order (default: modelDisplayName). */
  names?: string[];
  /**
   * Architectures of several training runs each (seeds): their member specs must all be in
   * `models`; the comparison is then between architectures, with between-run variation.
   */
  architectures?: { name: string; models: string[] }[];
  /** Testbed folders or names; default: the testbeds of conf/testbeds.conf. */
  testbeds?: string[];
  out: string;
  db?: string;
  pdf?: boolean;
  seed?: number;
  bootstrapReplicates?: number;
  title?: string;
  /** Significance level on q-values for findings, bold rows and winners (default 0.05). */
  alpha?: number;
  caliper?: number;
  /** The command line, for the reproducibility appendix and manifest.json. */
  command?: string[];
  /** The config file the options came from, if any. */
  configFile?: string;
  modelOptions?: OpenOptions;
  quiet?: boolean;
  log?: (message: string) => void;
}

export interface ReportResult {
  out: string;
  files: string[];
  analyses: ModelAnalysis[];
  warnings: string[];
  comparisons: ModelDifference[];
  /** Set when a PDF was asked for but no browser was found: how to get one. */
  pdfSkipped?: string;
}


/** Concepts with fewer functions in a language are tabled but not ranked in the findings. */
const MIN_FUNCTIONS_TO_RANK = 10;

const multipleModelsOf = (options: ReportOptions) => (options.models.length > 1 ? '%MODEL%, ' : '');
const f = (x: number | null, digits = 3) => (x !== null && Number.isFinite(x) ? x.toFixed(digits) : '–');
const signed = (x: number) => (x > 0 ? `+${f(x)}` : f(x));
const ci = (c: [number, number], digits = 3) => (Number.isFinite(c[0]) ? `[${f(c[0], digits)}, ${f(c[1], digits)}]` : '–');
const pv = (p: number) => (!Number.isFinite(p) ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3));

export async function buildReport(options: ReportOptions): Promise<ReportResult> {
  const startedAt = Date.now();
  let scoredNow = 0;
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? 0;
  const replicates = options.bootstrapReplicates ?? 1000;
  const db = resolve(options.db ?? DEFAULT_DB);
  const out = resolve(options.out);
  const alpha = options.alpha ?? 0.05;
  // known before hours of scoring: a wrong CODEGEN_EVAL_CHROMIUM fails now, a missing browser is a warning
  const browser = options.pdf !== false ? findBrowser() : null;
  const pdfSkipped = options.pdf !== false && !browser
    ? `no Chromium found, so no report.pdf: ${NO_BROWSER_HINT}, then rerun (scores are cached); --no-pdf silences this`
    : undefined;
  for (const arch of options.architectures ?? []) {
    const missing = arch.models.filter((m) => !options.models.includes(m));
    if (missing.length) throw new UsageError(`architecture ${arch.name}: ${missing.join(', ')} not among the models`, 'list every training run of an architecture in models too');
  }
  // the report folder is written whole beside its place, then swapped in: a killed run leaves the old one intact
  for (const note of await recoverInterruptedSwap(out)) log(note);
  checkOutputFolder(out, { what: 'report', marker: 'manifest.json', formats: ['codegen-eval/report-manifest@1'], inputs: [db], ownsFile: reportFiles });
  const testbedSpecs = options.testbeds?.length ? options.testbeds : readTestbedPlan().testbeds.map((t) => t.name);
  const testbeds = testbedSpecs.map((spec) => openTestbed(spec));
  for (const t of testbeds) refuseEmptyTestbed(t);
  const warnings: string[] = [];

  const allOriginals = await originalSnippets(testbeds);
  const originals = options.languages?.length ? restrictToLanguages(allOriginals, options.languages) : allOriginals;
  if (options.languages?.length && [...originals.values()].every((m) => m.size === 0)) {
    throw new UsageError(`no function of ${options.languages.join(', ')} in the testbeds ${testbeds.map((t) => t.manifest.name).join(', ')}`, `their languages: ${[...new Set(testbeds.flatMap((t) => Object.keys(t.manifest.counts.byLanguage)))].join(', ')}`);
  }
  if (options.concepts?.length) await checkConcepts(options.concepts, testbeds);
  const analyses: ModelAnalysis[] = [];
  let originalHashes: Promise<Map<string, string>> | undefined; // read once, for the models that record their training data
  const modelRows: { name: string; spec: string; kind: string; details: string; tokens: number; identity: string; trainingOverlap: TrainingOverlap | null }[] = [];
  if (options.names && options.names.length > options.models.length) throw new UsageError(`${options.names.length} names for ${options.models.length} models`, 'give one --name per --model, in the same order');
  const displayNames = uniqueNames(options.models.map((spec, i) => options.names?.[i] ?? modelDisplayName(spec)));
  for (const [index, requested] of options.models.entries()) {
    const shown = displayNames[index];
    const model = await openModel(requested, options.modelOptions);
    const runs: { testbed: string; runId: string; manifest: TestbedManifest; dir: string }[] = [];
    let tokens = 0;
    try {
      for (const testbed of testbeds) {
        log(`scoring ${testbed.manifest.name} with ${requested}`);
        const summary = await scoreTestbed({ model, testbed: testbed.dir, db, quiet: options.quiet });
        runs.push({ testbed: testbed.manifest.name, runId: summary.runId, manifest: testbed.manifest, dir: testbed.dir });
        tokens += summary.tokens;
        scoredNow += summary.tokensNow;
      }
    } finally {
      await model.dispose();
    }
    const trainingOverlap = await trainingDataOverlap(model.info, () => (originalHashes ??= originalCodeHashes(testbeds, originals)));
    if (trainingOverlap && trainingOverlap.inTraining > 0) {
      warnings.push(`${shown}: ${trainingOverlap.inTraining} of ${trainingOverlap.functions} testbed functions (${(100 * trainingOverlap.inTraining / trainingOverlap.functions).toFixed(0)}%) are in the model's training data (${trainingOverlap.corpus}, exact code): scores on them measure memorisation as well as prediction; build testbeds from a held-out split (testbed build --split train=0.9,test=0.1 --take test, with the model trained on --take train)`);
    }
    log(`analysing ${requested}`);
    const analysis = await analyzeModel({ db, model: shown, runs, seed, bootstrapReplicates: replicates, caliper: options.caliper, originals, languages: options.languages, concepts: options.concepts });
    analyses.push(analysis);
    const info = model.info;
    const details = Object.keys(info).filter((k) => ['string', 'number', 'boolean'].includes(typeof info[k])).map((k) => `${k} ${String(info[k])}`).join(', ');
    modelRows.push({ name: shown, spec: requested, kind: model.kind, details, tokens, identity: model.identity, trainingOverlap });
  }
  adjustAll(analyses);
  const runIdsOf = (spec: string) => Object.values(analyses[options.models.indexOf(spec)].runIds);
  const compared = options.architectures?.length
    ? options.architectures.map((arch) => ({ name: arch.name, runIds: [], seeds: arch.models.map((spec) => ({ name: displayNames[options.models.indexOf(spec)], runIds: runIdsOf(spec) })) }))
    : analyses.length > 1 ? analyses.map((a) => ({ name: a.model, runIds: Object.values(a.runIds) })) : [];
  const comparisons = compared.length > 1 ? await compareModels({ db, models: compared, originals, concepts: options.concepts, seed, bootstrapReplicates: replicates, alpha }) : [];
  // the overall outcome's diagnostics in full; per-concept ones counted (results.json keeps every one)
  let conceptWarnings = 0;
  for (const a of analyses) {
    for (const o of a.observational) {
      for (const e of o.estimates) {
        if (o.concept === '(all tokens)') for (const w of e.warnings) warnings.push(`${multipleModelsOf(options)}${o.testbed}, ${e.method}: ${w}`.replace('%MODEL%', a.model));
        else conceptWarnings += e.warnings.length;
      }
    }
    // what the data could not support is said, not left out: the whole-testbed effect by name, concepts counted
    const byTestbed = new Map<string, { concept: string; reason: string }[]>();
    for (const o of a.omitted) byTestbed.set(o.testbed, [...(byTestbed.get(o.testbed) ?? []), o]);
    const who = analyses.length > 1 ? `${a.model}, ` : '';
    for (const [testbed, list] of byTestbed) {
      const overall = list.find((o) => o.concept === '(all tokens)');
      if (overall) warnings.push(`${who}${testbed}: no effect is reported for the whole snippets: ${overall.reason}`);
      const concepts = list.filter((o) => !o.concept.startsWith('('));
      if (concepts.length) warnings.push(`${who}${testbed}: ${concepts.length} concept${concepts.length === 1 ? ' has' : 's have'} no effect estimate (${concepts.slice(0, 4).map((o) => `${o.concept}: ${o.reason}`).join('; ')}${concepts.length > 4 ? '; ...' : ''}); results.json lists them`);
    }
    for (const r of a.refutations) if (r.verdict === 'failed') warnings.push(`${a.model}, ${r.testbed}: the ${r.refuter} refutation failed: ${r.explanation}`);
  }
  if (conceptWarnings) warnings.push(`${conceptWarnings} further diagnostic warnings on per-concept observational estimates (overlap, unmatched units, residual imbalance): read those estimates with care; results.json lists them`);
  const multipleModels = analyses.length > 1;

  const stage = join(dirname(out), `.${basename(out)}.building-${process.pid}`);
  await rm(stage, { recursive: true, force: true });
  await mkdir(join(stage, 'figures'), { recursive: true });
  try {
    const files: string[] = [];
    const figures: Record<string, string> = {};
    const writeFigure = async (name: string, spec: TopLevelSpec) => {
      const svg = await renderSvg(spec);
      await writeFileAtomic(join(stage, 'figures', `${name}.svg`), svg);
      await writeFileAtomic(join(stage, 'figures', `${name}.vl.json`), `${JSON.stringify(spec, null, 2)}\n`);
      files.push(join(out, 'figures', `${name}.svg`), join(out, 'figures', `${name}.vl.json`));
      return svg;
    };
    const multipleLanguages = new Set(analyses.flatMap((a) => a.decomposition.map((d) => d.language))).size > 1;
    // per language, because languages differ more than concepts: one panel per language
    const profileRows = analyses.flatMap((a) => a.decomposition.map((d) => ({ ...d, model: a.model })));
    figures.decomposition = await writeFigure('decomposition', decompositionSpec(profileRows));
    figures.distribution = await writeFigure('distributions', distributionSpec(profileRows));
    if (analyses.some((a) => a.nodeTypes.length)) figures.nodeTypes = await writeFigure('node-types', nodeTypeSpec(analyses.flatMap((a) => a.nodeTypes.map((n) => ({ ...n, model: a.model })))));
    const paired = analyses.flatMap((a) => a.paired.map((p) => ({ ...p, model: a.model })));
    if (paired.length) figures.paired = await writeFigure('interventions', pairedForestSpec(paired, multipleModels));
    const observational = analyses.flatMap((a) => a.observational.map((o) => ({ ...o, model: a.model })));
    if (observational.length) figures.observational = await writeFigure('observational', observationalForestSpec(observational, multipleModels));
    const balanceFigures: { model: string; testbed: string; svg: string; overlap: string | null }[] = [];
    for (const [i, a] of analyses.entries()) {
      if (!a.balance) continue;
      balanceFigures.push({
        model: a.model, testbed: a.balance.testbed, svg: await writeFigure(`balance-${i + 1}`, lovePlotSpec(a.balance.rows)),
        overlap: a.balance.overlap.length ? await writeFigure(`overlap-${i + 1}`, overlapSpec(a.balance.overlap)) : null,
      });
    }

    warnings.push(...takeFigureWarnings());
    const findings: string[] = [];
    for (const a of analyses) {
      const who = multipleModels ? `${a.model}: ` : '';
      for (const language of [...new Set(a.decomposition.map((d) => d.language))]) {
        // a ranking needs enough functions behind each mean to say anything
        const worst = a.decomposition.filter((d) => d.language === language && d.snippets >= MIN_FUNCTIONS_TO_RANK).slice(0, 3).map((d) => `${d.concept} (${f(d.meanLogprob, 2)}, ${d.snippets} functions)`).join(', ');
        if (worst) findings.push(`${who}hardest concepts in ${language} by mean log-prob per token: ${worst}.`);
      }
      const significant = a.paired.filter((p) => p.q < alpha).sort((x, y) => Math.abs(y.estimate) - Math.abs(x.estimate));
      for (const p of significant.slice(0, 6)) findings.push(`${who}${p.intervention} changes the log-prob of ${p.concept} tokens by ${signed(p.estimate)} nats per token (95% CI ${ci(p.ci)}, q ${pv(p.q)}, ${p.pairs} pairs).`);
      if (a.paired.length && !significant.length) findings.push(`${who}no intervention effect is significant after Benjamini–Hochberg correction.`);
      for (const o of a.observational.filter((x) => x.q < alpha && x.concept === '(all tokens)')) {
        const reg = o.estimates.find((e) => e.method === 'regression')!;
        findings.push(`${who}${o.treatment} is associated with a change of ${signed(reg.estimate)} nats per token overall after adjustment (95% CI ${ci(reg.ci)}, q ${pv(o.q)}).`);
      }
    }

    for (const candidate of [...new Set(comparisons.map((c) => c.candidate))]) {
      const rows = comparisons.filter((c) => c.candidate === candidate);
      const baseline = rows[0].baseline;
      const wins = rows.filter((c) => c.winner === candidate).map((c) => c.concept);
      const losses = rows.filter((c) => c.winner === baseline).map((c) => c.concept);
      const overall = rows.find((c) => c.concept === '(all tokens)');
      if (overall) findings.push(`${candidate} vs ${baseline}, all tokens: ${signed(overall.estimate)} nats per character (95% CI ${ci(overall.ci)}, q ${pv(overall.q)}, ${overall.snippets} snippets)${overall.winner ? `: ${overall.winner} is better` : ': no significant difference'}.`);
      findings.push(wins.length ? `${candidate} is better than ${baseline} on ${wins.filter((w) => w !== '(all tokens)').join(', ') || 'no single concept'}.` : `${candidate} is better than ${baseline} on no concept with the evidence required (q below ${alpha} and a signed-rank test significant in the same direction).`);
      const split = rows.filter((c) => c.verdict === 'disagree').map((c) => c.concept);
      if (split.length) findings.push(`${candidate} vs ${baseline}: the mean and the signed-rank test point opposite ways on ${split.join(', ')}, so neither is called better there (a few large differences drive the mean).`);
      if (losses.length) findings.push(`${baseline} is better than ${candidate} on ${losses.filter((w) => w !== '(all tokens)').join(', ') || 'no single concept'}.`);
    }

    // the hardest snippets, shown as text (handlebars escapes them)
    const examples = await hardestSnippets(analyses, testbeds, 3);
    const gallery = await galleryView(analyses[0], testbeds, db);

    const testbedHashes = await Promise.all(testbeds.map(async (t) => ({ name: t.manifest.name, dir: t.dir, sha256: await sha256Files(join(t.dir, 'manifest.json'), join(t.dir, 'rows.jsonl')) })));
    const runIds = analyses.flatMap((a) => Object.values(a.runIds));
    // JSON cannot hold NaN or Infinity: say which values results.json writes as null, here and on stderr
    const nonFinite = nonFinitePaths({ analyses, comparisons, models: modelRows });
    if (nonFinite.length > 0) warnings.push(`results.json: ${nonFinite.length} value${nonFinite.length === 1 ? ' is' : 's are'} not a finite number and ${nonFinite.length === 1 ? 'is' : 'are'} written as null (${nonFinite.slice(0, 5).join('; ')}${nonFinite.length > 5 ? '; ...' : ''}): a statistic that could not be computed on this data`);
    const view = {
      title: options.title ?? (multipleModels ? `Code-completion model comparison: ${options.architectures?.length ? options.architectures.map((a) => `${a.name} (${a.models.length} runs)`).join(' vs ') : displayNames.join(' vs ')}` : `Code-completion model report: ${displayNames[0]}`),
      toolVersion: TOOL_VERSION,
      seed,
      bootstrapReplicates: replicates,
      multipleModels,
      multipleLanguages,
      models: modelRows,
      findings,
      warnings: [...new Set(warnings)].slice(0, 40),
      testbeds: testbeds.map((t) => ({
        name: t.manifest.name, design: t.manifest.design, treatment: t.manifest.treatment.name, rows: t.manifest.counts.rows,
        languages: Object.keys(t.manifest.counts.byLanguage).join(', '), corpus: t.manifest.source.spec,
        drops: Object.entries(t.manifest.drops).map(([reason, n]) => `${reason}: ${n}`).join('; ') || 'none',
      })),
      figures,
      decompositionTables: analyses.map((a) => ({
        model: a.model,
        rows: a.decomposition.map((d) => ({ language: d.language, concept: d.concept, snippets: d.snippets, tokens: d.tokens, mean: f(d.meanLogprob), ci: ci(d.ci), prob: f(d.meanProb), top1: d.top1 === null ? '–' : f(d.top1) })),
      })),
      pairedTables: analyses.flatMap((a) => [...new Set(a.paired.map((p) => p.testbed))].map((testbed) => ({
        title: `${multipleModels ? `${a.model}: ` : ''}${testbed}`,
        rows: a.paired.filter((p) => p.testbed === testbed).map((p) => ({
          concept: p.concept, pairs: p.pairs, control: f(p.control), treated: f(p.treated), estimate: f(p.estimate), ci: ci(p.ci), p: pv(p.p), pWilcoxon: pv(p.pWilcoxon), q: pv(p.q), delta: f(p.cliffsDelta, 2), js: f(p.jsDistance), significant: p.q < alpha,
        })),
      }))),
      observationalTables: analyses.flatMap((a) => [...new Set(a.observational.map((o) => o.testbed))].map((testbed) => ({
        title: `${multipleModels ? `${a.model}: ` : ''}${testbed}`,
        rows: a.observational.filter((o) => o.testbed === testbed).map((o) => {
          const cell = (method: string) => {
            const e = o.estimates.find((x) => x.method === method);
            return e && Number.isFinite(e.estimate) ? `${f(e.estimate)} ${ci(e.ci)}` : '–';
          };
          const aipw = o.estimates.find((x) => x.method === 'aipw');
          const aipwNote = aipw?.withheld ?? (aipw?.population ? `ATE of the ${aipw.population.replace(/^units/, 'units')}` : '');
          return { concept: o.concept, n: o.n, treated: o.treated, matching: cell('matching'), regression: cell('regression'), aipw: cell('aipw'), aipwNote: aipw?.withheld ? aipwNote : '', aipwPopulation: aipw?.withheld ? '' : aipwNote, q: pv(o.q), significant: o.q < alpha };
        }),
      }))),
      balanceFigures,
      refutations: analyses.flatMap((a) => a.refutations.map((r) => ({ model: a.model, testbed: r.testbed, refuter: r.refuter, estimate: f(r.originalEstimate), newEffect: f(r.newEstimate), p: r.p === null ? '–' : pv(r.p), verdict: r.verdict }))),
      testbedCovariates: await Promise.all(testbeds.map(async (t) => {
        const inspection = await inspectTestbed(t);
        return {
          name: t.manifest.name,
          paired: t.manifest.design === 'paired',
          rows: inspection.covariates.map((c) => ({
            covariate: c.covariate, control: `${f(c.control.mean, 1)} (${f(c.control.sd, 1)})`, treated: `${f(c.treated.mean, 1)} (${f(c.treated.sd, 1)})`,
            smd: f(c.smd, 2), pairedDifference: c.meanPairedDifference === null ? '–' : f(c.meanPairedDifference, 2),
          })),
        };
      })),
      covariateTable: analyses[0].covariates.map((c) => ({ covariate: c.covariate, n: c.n, mean: f(c.mean, 2), sd: f(c.sd, 2), min: f(c.min, 0), median: f(c.median, 1), max: f(c.max, 0) })),
      correlationTables: analyses.map((a) => ({
        model: a.model,
        rows: a.correlations.map((c) => ({ covariate: c.covariate, n: c.n, rho: f(c.rho), ci: ci(c.ci), p: pv(c.p), q: pv(c.q), significant: c.q < alpha })),
      })),
      nodeTypeTables: analyses.map((a) => ({ model: a.model, rows: a.nodeTypes.map((n) => ({ language: n.language, nodeType: n.nodeType, snippets: n.snippets, tokens: n.tokens, mean: f(n.meanLogprob), ci: ci(n.ci), prob: f(n.meanProb) })) })),
      db,
      runIds: runIds.join(', '),
      alpha,
      comparisonSeeded: comparisons.some((c) => c.seeds !== null),
      comparisonTables: [...new Set(comparisons.map((c) => c.candidate))].map((candidate) => ({
        title: `${candidate} − ${comparisons.find((c) => c.candidate === candidate)!.baseline}`,
        seeded: comparisons.some((c) => c.candidate === candidate && c.seeds !== null),
        rows: comparisons.filter((c) => c.candidate === candidate).map((c) => ({
          seedSd: c.seeds ? `${c.seeds.sdBaseline === null ? '–' : f(c.seeds.sdBaseline, 4)} / ${c.seeds.sdCandidate === null ? '–' : f(c.seeds.sdCandidate, 4)}` : '–',
          qSeeds: c.seeds?.q === null || c.seeds?.q === undefined ? '–' : pv(c.seeds.q),
          concept: c.concept, snippets: c.snippets, baseline: f(c.baselineMean), candidate: f(c.candidateMean), estimate: f(c.estimate, 4), ci: ci(c.ci, 4),
          p: pv(c.p), pWilcoxon: pv(c.pWilcoxon), pBootstrap: pv(c.pBootstrap), q: pv(c.q), delta: f(c.cliffsDelta, 2), winner: c.winner ?? (c.verdict === 'disagree' ? 'disagree' : '–'), significant: c.winner !== null,
        })),
      })),
      examples,
      gallery,
      galleryModel: analyses[0].model,
      methods: methodsText({ scope: [options.languages?.length ? `the languages ${options.languages.join(', ')}` : '', options.concepts?.length ? `the concepts ${options.concepts.join(', ')} (with the whole-snippet and located outcomes)` : ''].filter(Boolean).join(' and ') || null, seeded: comparisons.some((c) => c.seeds !== null), adjustments: adjustmentText(testbeds), paired: paired.length > 0, observational: observational.length > 0, comparison: comparisons.length > 0, replicates, seed, alpha, caliper: options.caliper ?? 0.2 }),
      fontCss: embeddedFontCss(),
      command: options.command ? options.command.join(' ') : '(library call)',
      configFile: options.configFile ?? '(none: defaults)',
      testbedHashes: testbedHashes.map((t) => `${t.name} ${t.sha256.slice(0, 16)}`).join(', '),
      modelIdentities: modelRows.map((m) => `${m.spec} ${m.identity.slice(0, 16)}`).join(', '),
      versions: Object.entries(softwareVersions()).map(([name, version]) => `${name} ${version}`).join(', '),
    };
    const template = Handlebars.compile(await readFile(packagePath('templates', 'report.hbs'), 'utf8'), { strict: true });
    const html = template(view);
    const htmlFile = join(stage, 'index.html');
    await writeFileAtomic(htmlFile, html);
    files.push(join(out, 'index.html'));
    await writeFileAtomic(join(stage, 'tables.tex'), latexTables(analyses));
    files.push(join(out, 'tables.tex'));
    const results = { format: 'codegen-eval/report@1', toolVersion: TOOL_VERSION, db, seed, bootstrapReplicates: replicates, alpha, testbeds: view.testbeds, models: modelRows, warnings: view.warnings, analyses, comparisons };
    await writeFileAtomic(join(stage, 'results.json'), toFiniteJson(results));
    files.push(join(out, 'results.json'));
    let browserVersion: string | null = null;
    if (browser) {
      log(`printing the PDF with Chromium (${describeBrowser(browser)})`);
      browserVersion = await printPdf(htmlFile, join(stage, 'report.pdf'), { browser, log });
      files.push(join(out, 'report.pdf'));
    }
    // the clock lives here only, so that the same command gives the same bytes in every other file
    await writeFileAtomic(join(stage, 'run-log.json'), `${JSON.stringify({ format: 'codegen-eval/report-run@1', started: new Date(startedAt).toISOString(), finished: new Date().toISOString(), wallSeconds: Math.round((Date.now() - startedAt) / 100) / 10, tokensScored: scoredNow }, null, 2)}\n`);
    files.push(join(out, 'run-log.json'));
    const manifest = {
      format: 'codegen-eval/report-manifest@1',
      command: options.command ?? null,
      config: { file: options.configFile ?? null, seed, bootstrapReplicates: replicates, alpha, caliper: options.caliper ?? 0.2, title: view.title },
      versions: { ...softwareVersions(), chromium: browserVersion },
      models: modelRows.map((m) => ({ spec: m.spec, kind: m.kind, identity: m.identity })),
      testbeds: testbedHashes,
      db,
      runs: analyses.map((a) => ({ model: a.model, runIds: a.runIds })),
      files: files.map((file) => file.slice(out.length + 1)),
    };
    await writeFileAtomic(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    files.push(join(out, 'manifest.json'));
    await replaceDirectory(stage, out);
    return { out, files, analyses, warnings: view.warnings, comparisons, pdfSkipped };
  } catch (error) {
    await rm(stage, { recursive: true, force: true });
    throw error;
  }
}

/** The files of a report folder this tool wrote: those its manifest lists, and the figures (older manifests did not list the specs). */
function reportFiles(dir: string): (relativePath: string) => boolean {
  let listed = new Set<string>();
  try {
    listed = new Set((JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files?: string[] }).files ?? []);
  } catch { /* checkOutputFolder has read the marker already */ }
  return (f) => f === 'manifest.json' || f === 'run-log.json' || listed.has(f) || /^figures\/[\w.-]+\.(svg|vl\.json)$/.test(f);
}

function softwareVersions(): Record<string, string> {
  const versions: Record<string, string> = { 'codegen-eval': TOOL_VERSION, node: process.versions.node };
  for (const name of ['@duckdb/node-api', 'web-tree-sitter', '@tensorflow/tfjs-core', 'vega', 'vega-lite', 'handlebars', 'puppeteer']) {
    try {
      versions[name] = (JSON.parse(readFileSync(packagePath('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch { /* not installed where expected */ }
  }
  return versions;
}

async function hardestSnippets(analyses: ModelAnalysis[], testbeds: TestbedHandle[], count: number): Promise<{ model: string; testbed: string; id: string; language: string; meanLogprob: string; code: string }[]> {
  // one pass over each testbed's rows, for every candidate of every model
  const wanted = new Set(analyses.flatMap((a) => a.hardest.map((h) => `${h.testbed}\u0000${h.rowId}`)));
  const rows = new Map<string, { code: string; language: string }>();
  for (const testbed of testbeds) {
    if (!analyses.some((a) => a.hardest.some((h) => h.testbed === testbed.manifest.name))) continue;
    for await (const row of readTestbedRows(testbed)) {
      const key = `${testbed.manifest.name}\u0000${row.id}`;
      if (wanted.has(key)) rows.set(key, { code: row.code, language: row.language });
    }
  }
  const examples: { model: string; testbed: string; id: string; language: string; meanLogprob: string; code: string }[] = [];
  for (const a of analyses) {
    const shown = new Set<string>(); // the same function appears in several testbeds
    for (const h of a.hardest) {
      const row = rows.get(`${h.testbed}\u0000${h.rowId}`);
      if (shown.size >= count) break;
      if (!row || shown.has(row.code)) continue;
      shown.add(row.code);
      const lines = row.code.split('\n');
      const code = lines.length > 30 ? `${lines.slice(0, 30).join('\n')}\n... (${lines.length - 30} more lines)` : row.code;
      examples.push({ model: a.model, testbed: h.testbed, id: h.rowId, language: row.language, meanLogprob: f(h.meanLogprob), code });
    }
  }
  return examples;
}

/** The methods section, from what was actually run. */
function methodsText(run: { scope: string | null; seeded: boolean; adjustments: string; paired: boolean; observational: boolean; comparison: boolean; replicates: number; seed: number; alpha: number; caliper: number }): string[] {
  const text = [
    `Scores. Each model gives a log-probability (natural log) to every token of every snippet given the tokens before it. Tokens are tied to AST nodes by character span (a token overlapping several nodes counts for each) and nodes to programming concepts by the language's taxonomy (conf/concepts). A snippet's score on a concept is the mean log-prob of the concept's tokens; snippets without tokens of a concept do not enter its analysis.`,
    `Decomposition. The concept profile is computed on the original code: the control arms of paired testbeds (an arm that is itself edited, as a random-mask control, is left out) and both arms of observational testbeds. The same function sits in several testbeds; it counts once (the first testbed that holds it), since copies are not independent draws and would make the intervals too narrow. Concept means are averaged over functions within each language and reported per language, never pooled: languages differ in difficulty for a model more than concepts do and their concept mix differs, so a pooled ranking would rank languages (Simpson 1951). 95% intervals are percentile bootstrap intervals over functions (${run.replicates} replicates, seed ${run.seed}; Efron & Tibshirani 1993), which treat the functions of a language as independent draws.`,
  ];
  if (run.scope) text.push(`Scope. Every table, figure and family of tests is restricted to ${run.scope}; the multiple-testing correction is over the tests shown.`);
  if (run.paired) text.push(`Interventions. Within a pair the edited snippet differs from the original by the intervention alone, so the mean paired difference estimates its average causal effect on the snippets of the testbed, without modelling confounders. Paired t intervals (normality of the mean difference), Wilcoxon signed-rank p-values (symmetry, no normality), Cliff's delta as the effect size (Cliff 1993). Besides the snippet means per concept, outcomes located by the edit, from the edit offsets each treated row records: "(edited tokens)", the tokens at the edit site, and "(next ${TOKENS_AFTER_EDIT} tokens)", the tokens that follow it, where every edit replaces text (a mutation: surprise at and right after the edit, as bug-detection studies measure it; Ray et al. 2016), and "(unchanged code)", the tokens on code both arms share (a deletion's effect on the code left, apart from the removal of the deleted tokens themselves). A whole-snippet mean dilutes an edit of one token over the snippet and mixes a deletion's change of composition with its effect on the code.`);
  if (run.observational) text.push(`Observed properties. The effect of a property that cannot be edited in is identified only under no unmeasured confounding and overlap, given the measured covariates (size, AST depth, node count, cyclomatic complexity, ..., language). Each property's adjustment set leaves out the covariates it determines (${run.adjustments}); a mediator adjusted for would remove part of the effect (Rosenbaum 1984). Three estimators with different modelling assumptions: 1:1 nearest-neighbour matching on a logistic propensity score without replacement, caliper ${run.caliper} SD (ATT; Abadie-Imbens standard errors; Ho et al. 2007, Abadie & Imbens 2006); linear regression adjustment with treatment-covariate interactions (g-computation, so that an effect that varies with the covariates is still averaged right; Lin 2013), with HC3 standard errors (MacKinnon & White 1985) plus the sampling variance of the covariate means (ATE of the population); augmented inverse-probability weighting (doubly robust, Robins et al. 1994) on the units whose propensity lies in [α, 1 − α], α by the optimal rule of Crump et al. (2009), so that it estimates the ATE of the units kept (stated beside each estimate); an AIPW estimate whose largest weight still exceeds a tenth of the sample is greyed and is not a finding. Balance is shown as standardised mean differences; the placebo-treatment and random-common-cause refutations follow DoWhy (Sharma & Kiciman 2020).`);
  if (run.comparison) text.push(`Model comparison. Models are compared on the same snippets in nats per character (the sum of a concept's token log-probs over the characters they cover), which does not depend on the tokenizer. Paired differences with paired t intervals, Wilcoxon signed-rank p-values and paired bootstrap p-values (${run.replicates} replicates). The decision rule is the one the CI gate uses: a model is said to be better on a concept only when the BH q-value of the paired t test is below ${run.alpha} and the signed-rank test is significant at ${run.alpha} in the same direction; when the mean and the signed-rank statistic point opposite ways, the row says "disagree" and no one is called better (a mean moved by a few large differences is not a typical improvement).${run.seeded ? ' Models given as several training runs (seeds) are compared as architectures: a function\'s value is its mean over the runs, the standard deviation between the runs\' means is shown beside each difference, and a model is called better only when the runs\' means also differ (Welch t test over runs, BH-adjusted, same direction); one run per architecture would make the comparison one of checkpoints.' : ''}`);
  text.push(`Multiple testing. q-values are Benjamini-Hochberg adjusted over every test in the report (Benjamini & Hochberg 1995); findings are stated at q < ${run.alpha}.`);
  return text;
}

/** Per observational testbed: what it adjusts for and what it leaves out, for the methods section. */
function adjustmentText(testbeds: TestbedHandle[]): string {
  const available = [...COVARIATE_NAMES, 'modelTokens'];
  return testbeds.filter((t) => t.manifest.design === 'observational').map((t) => {
    const adjusted = adjustmentCovariates(t.manifest.treatment.name, t.manifest.treatment.excludedCovariates ?? [], available);
    const left = [...available, 'codeChars'].filter((c) => !adjusted.includes(c) && c !== 'errorNodes');
    return `${t.manifest.name}: adjusted for ${adjusted.join(', ')} and language; left out ${left.join(', ')}`;
  }).join('; ') || 'none here';
}

/** How many of the testbeds' original functions a model folder's training record holds (null: no record). */
interface TrainingOverlap { corpus: string; functions: number; inTraining: number }

async function trainingDataOverlap(info: Record<string, unknown>, originalHashes: () => Promise<Map<string, string>>): Promise<TrainingOverlap | null> {
  const dir = typeof info.dir === 'string' ? info.dir : null;
  const record = dir ? readTrainingCorpus(dir) : null;
  if (!record) return null;
  const trained = new Set(record.codeHashes);
  const hashes = await originalHashes();
  let inTraining = 0;
  for (const h of hashes.values()) if (trained.has(h)) inTraining++;
  return { corpus: record.corpus.spec, functions: hashes.size, inTraining };
}

/** A model's short name: its folder's or file's name, or the model id after '#' (builtin:/a/b/gpt -> gpt). */
export function modelDisplayName(spec: string): string {
  const afterHash = spec.includes('#') ? spec.slice(spec.lastIndexOf('#') + 1) : spec.replace(/^[a-z]+:/, '');
  return afterHash.split(/[\\/]/).filter(Boolean).pop()?.replace(/\.(jsonl|json|onnx)(\.gz)?$/, '') || spec;
}

/** Names made unique by a suffix: two folders called best become best and best (2). */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n} (${k})`;
  });
}

function restrictToLanguages(originals: Map<string, Map<string, string>>, languages: readonly string[]): Map<string, Map<string, string>> {
  const prefixes = languages.map((l) => `${l}\u0000`);
  return new Map([...originals].map(([testbed, rows]) => [testbed, new Map([...rows].filter(([, key]) => prefixes.some((p) => key.startsWith(p))))]));
}

/** Concept names must be categories of the testbeds' taxonomies: a typo is an error before any scoring. */
async function checkConcepts(concepts: readonly string[], testbeds: TestbedHandle[]): Promise<void> {
  const languages = [...new Set(testbeds.flatMap((t) => Object.keys(t.manifest.counts.byLanguage)))].filter(isLanguageId);
  const known = new Set<string>();
  for (const language of languages) {
    const file = testbeds.map((t) => t.manifest.options.taxonomies?.[language]).find((f) => f !== undefined);
    for (const c of (await taxonomyFor(language, file)).categories) known.add(c.id);
  }
  const unknown = concepts.filter((c) => !known.has(c));
  if (unknown.length) throw new UsageError(`unknown concept${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, `the testbeds' concepts: ${[...known].sort().join(', ')}`);
}

/** The first model's gallery: per language and concept, the hardest and the easiest function, tokens shaded. */
async function galleryView(analysis: ModelAnalysis, testbeds: TestbedHandle[], db: string): Promise<{ language: string; concept: string; kind: string; where: string; meanLogprob: string; html: string }[]> {
  if (!analysis.gallery.length) return [];
  const wanted = new Set(analysis.gallery.map((g) => `${g.testbed}\u0000${g.rowId}`));
  const code = new Map<string, string>();
  for (const testbed of testbeds) {
    if (!analysis.gallery.some((g) => g.testbed === testbed.manifest.name)) continue;
    for await (const row of readTestbedRows(testbed)) {
      const key = `${testbed.manifest.name}\u0000${row.id}`;
      if (wanted.has(key)) code.set(key, row.code);
    }
  }
  const reader = await ScoresReader.open(db);
  try {
    const out = [];
    for (const g of analysis.gallery) {
      const text = code.get(`${g.testbed}\u0000${g.rowId}`);
      if (text === undefined) continue;
      const tokens = await reader.tokens(g.runId, g.rowId);
      out.push({ language: g.language, concept: g.concept, kind: g.kind, where: `${g.testbed} / ${g.rowId}`, meanLogprob: f(g.meanLogprob), html: shadeTokens(text, tokens, g.concept, 12) });
    }
    return out;
  } finally {
    reader.close();
  }
}
