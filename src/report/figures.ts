/**
 * Report figures: vega-lite specs compiled by vega and rendered to SVG strings in Node, without a
 * canvas. vega's fallback text measure guesses widths from character counts, which clips axis labels,
 * so text is measured with the font the report embeds (fonts.ts), through opentype.js.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { SANS_FAMILY, textWidth } from './fonts.ts';
import type { ConceptPerformance, NodeTypePerformance, ObservationalEffect, PairedEffect } from './analyze.ts';

export const FONT_FAMILY = SANS_FAMILY;

let measuring = false;
/** vega's own text measure guesses widths from character counts; measure with the report's font. */
function measureWithReportFont(): void {
  if (measuring) return;
  const metrics = (vega as unknown as { textMetrics: unknown }).textMetrics as { width: (item: { fontSize?: number; fontWeight?: string | number }, text: string) => number };
  metrics.width = (item, text) => textWidth(String(text ?? ''), item.fontSize ?? 11, item.fontWeight);
  measuring = true;
}

const CONFIG = {
  font: FONT_FAMILY,
  axis: { labelFontSize: 11, titleFontSize: 11, grid: true, gridColor: '#e5e5e5', labelOverlap: 'parity' as const },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  view: { stroke: null },
};

/**
 * vega-lite's messages go to the report's warnings, not to the console. One is expected and true of
 * every faceted figure here: each facet's layers read the same data, which vega-lite assumes when it
 * unions their domains.
 */
const EXPECTED_MESSAGES = [/^Detected faceted independent scales that union domain of the same fields from different source/];
const figureWarnings: string[] = [];

/** The figure compiler's warnings since the last call. */
export function takeFigureWarnings(): string[] {
  return figureWarnings.splice(0);
}

function collectingLogger() {
  let current = 2; // vega's Warn
  const keep = (...args: readonly unknown[]) => {
    const message = args.map(String).join(' ');
    if (!EXPECTED_MESSAGES.some((re) => re.test(message))) figureWarnings.push(`figure: ${message}`);
  };
  const logger = {
    level(value?: number) {
      if (value === undefined) return current;
      current = value;
      return logger;
    },
    error(...args: readonly unknown[]) { keep(...args); return logger; },
    warn(...args: readonly unknown[]) { keep(...args); return logger; },
    info() { return logger; },
    debug() { return logger; },
  };
  return logger;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  measureWithReportFont();
  const { spec: compiled } = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec, { logger: collectingLogger() });
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// shapes as well as colours, so that series stay apart in greyscale print
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down'];
const ERROR_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/**
 * Encodings that tell series (models, testbeds) apart: colour and shape (so they survive greyscale
 * print), and side-by-side rows within a category. One series needs none of them, nor a legend.
 */
function seriesEncodings(field: string, domain: string[], title: string | null = field, legendOrient?: 'bottom') {
  const legend = domain.length > 1 ? (legendOrient ? { orient: legendOrient } : {}) : null;
  return {
    colour: { field, type: 'nominal' as const, title, scale: { domain, range: ERROR_COLOURS }, legend },
    shape: { field, type: 'nominal' as const, title, scale: { domain, range: SHAPES }, legend },
    yOffset: domain.length > 1 ? { yOffset: { field, type: 'nominal' as const, scale: { domain } } } : {},
  };
}

const VEGA_LITE = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A band per category, widened for the series drawn side by side in it. */
function bandHeight(series: number, step = 18): { step: number } {
  return { step: step * Math.max(1, series * 0.8) };
}

/** Concepts from the hardest (lowest mean log-prob) up. */
function conceptsByMeanLogprob(rows: readonly ConceptPerformance[]): string[] {
  return [...new Set([...rows].sort((a, b) => a.meanLogprob - b.meanLogprob).map((r) => r.concept))];
}

type SeriesEncodings = ReturnType<typeof seriesEncodings>;
type YEncoding = { field: string; type: 'nominal'; sort: unknown; title: null };

/** One band per concept (hardest first), the models side by side in it; `layer` draws the marks. */
function conceptPanel(rows: readonly (ConceptPerformance & { model: string })[], data: object[], layer: (y: YEncoding, series: SeriesEncodings) => object[]): TopLevelSpec {
  const models = [...new Set(rows.map((r) => r.model))];
  const languages = [...new Set(rows.map((r) => r.language))];
  const y: YEncoding = { field: 'concept', type: 'nominal', sort: conceptsByMeanLogprob(rows), title: null };
  if (languages.length > 1) {
    // one panel per language, each sorted by its own means: languages differ more than concepts do
    const sortedY: YEncoding = { ...y, sort: { field: 'mean', op: 'min', order: 'ascending' } };
    return {
      $schema: VEGA_LITE,
      data: { values: data },
      facet: { field: 'language', type: 'nominal', title: null, header: { labelFontSize: 12, labelFontWeight: 'bold', labelAnchor: 'start' } },
      columns: 2,
      resolve: { scale: { y: 'independent' } },
      spec: { width: 230, height: bandHeight(models.length, 12), layer: layer(sortedY, seriesEncodings('model', models)) },
    } as TopLevelSpec;
  }
  return {
    $schema: VEGA_LITE,
    width: 420,
    height: bandHeight(models.length),
    data: { values: data },
    layer: layer(y, seriesEncodings('model', models)),
  } as TopLevelSpec;
}

/** A point at `mean` and a rule across its 95% bootstrap CI (`lo` to `hi`), per series. */
function meanWithCi(y: YEncoding, { colour, shape, yOffset }: SeriesEncodings, size: number): object[] {
  return [
    { mark: { type: 'rule' }, encoding: { y, ...yOffset, x: { field: 'lo', type: 'quantitative', title: 'mean log-prob per token (nats), 95% bootstrap CI', scale: { zero: false } }, x2: { field: 'hi' }, color: colour } },
    { mark: { type: 'point', filled: true, size }, encoding: { y, ...yOffset, x: { field: 'mean', type: 'quantitative' }, color: colour, shape } },
  ];
}

/** Mean log-prob per concept with its bootstrap CI, one colour per model. */
export function decompositionSpec(rows: (ConceptPerformance & { model: string })[]): TopLevelSpec {
  const data = rows.map((r) => ({ language: r.language, concept: r.concept, model: r.model, mean: r.meanLogprob, lo: Number.isFinite(r.ci[0]) ? r.ci[0] : r.meanLogprob, hi: Number.isFinite(r.ci[1]) ? r.ci[1] : r.meanLogprob }));
  return conceptPanel(rows, data, (y, series) => meanWithCi(y, series, 45));
}

interface ForestRow { label: string; group: string; estimate: number; lo: number; hi: number; significant: boolean }

/** A forest plot: one row per label, the estimate and its CI, a rule at zero; filled when q < 0.05. */
function forestSpec(rows: ForestRow[], xTitle: string): TopLevelSpec {
  const groups = [...new Set(rows.map((r) => r.group))];
  const y = { field: 'label', type: 'nominal' as const, sort: null, title: null };
  const { colour, shape, yOffset } = seriesEncodings('group', groups, null, 'bottom');
  return {
    $schema: VEGA_LITE,
    width: 420,
    height: bandHeight(groups.length),
    data: { values: rows },
    layer: [
      { mark: { type: 'rule', color: '#777', strokeDash: [4, 3] }, data: { values: [{ zero: 0 }] }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
      { mark: { type: 'rule' }, encoding: { y, ...yOffset, x: { field: 'lo', type: 'quantitative', title: xTitle }, x2: { field: 'hi' }, color: colour } },
      {
        mark: { type: 'point', size: 45, strokeWidth: 1.5 },
        encoding: {
          y, ...yOffset, x: { field: 'estimate', type: 'quantitative' }, color: colour,
          shape,
          fill: { condition: { test: 'datum.significant', field: 'group', type: 'nominal', scale: { domain: groups, range: ERROR_COLOURS } }, value: 'white' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Paired intervention effects (treated - control) per concept. */
export function pairedForestSpec(rows: (PairedEffect & { model: string })[], multipleModels: boolean): TopLevelSpec {
  return forestSpec(rows.map((r) => ({
    label: multipleModels ? r.concept : r.concept, group: multipleModels ? r.model : r.testbed, estimate: r.estimate, lo: r.ci[0], hi: r.ci[1], significant: r.q < 0.05,
  })), 'change in mean log-prob, treated - control (95% CI; filled: BH q < 0.05)');
}

/** Observational effects per concept, by the regression estimate (ATE, HC3 CI). */
export function observationalForestSpec(rows: (ObservationalEffect & { model: string })[], multipleModels: boolean): TopLevelSpec {
  const data: ForestRow[] = [];
  for (const r of rows) {
    const reg = r.estimates.find((e) => e.method === 'regression');
    if (!reg || !Number.isFinite(reg.estimate)) continue;
    data.push({ label: r.concept, group: multipleModels ? r.model : r.treatment, estimate: reg.estimate, lo: reg.ci[0], hi: reg.ci[1], significant: r.q < 0.05 });
  }
  return forestSpec(data, 'effect on mean log-prob, regression adjustment ATE (95% CI)');
}

/** A Love plot: absolute standardised mean differences before and after matching. */
export function lovePlotSpec(rows: { variable: string; before: number; after: number }[]): TopLevelSpec {
  const data = rows.flatMap((r) => [
    { variable: r.variable, sample: 'all', smd: Math.abs(r.before) },
    { variable: r.variable, sample: 'matched', smd: Math.abs(r.after) },
  ]);
  const order = [...rows].sort((a, b) => Math.abs(b.before) - Math.abs(a.before)).map((r) => r.variable);
  return {
    $schema: VEGA_LITE,
    width: 360,
    height: { step: 16 },
    data: { values: data },
    layer: [
      { mark: { type: 'rule', color: '#777', strokeDash: [4, 3] }, data: { values: [{ x: 0.1 }] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      {
        mark: { type: 'point', size: 45, filled: true },
        encoding: {
          y: { field: 'variable', type: 'nominal', sort: order, title: null },
          x: { field: 'smd', type: 'quantitative', title: 'absolute standardised mean difference' },
          color: { field: 'sample', type: 'nominal', title: null, scale: { domain: ['all', 'matched'], range: ['#d62728', '#1f77b4'] }, legend: { orient: 'bottom' } },
          shape: { field: 'sample', type: 'nominal', scale: { domain: ['all', 'matched'], range: ['circle', 'square'] } },
        },
      },
    ],
  };
}

/** Propensity-score overlap: histograms of the estimated score in each arm, mirrored (treated up, control down). */
export function overlapSpec(arms: { arm: string; ps: number[] }[]): TopLevelSpec {
  const bins = 20;
  const data: { arm: string; bin: number; binEnd: number; count: number }[] = [];
  for (const { arm, ps } of arms) {
    const counts = new Array<number>(bins).fill(0);
    for (const p of ps) counts[Math.min(bins - 1, Math.floor(p * bins))]++;
    counts.forEach((c, i) => data.push({ arm, bin: i / bins, binEnd: (i + 1) / bins, count: arm === 'treated' ? c : -c }));
  }
  return {
    $schema: VEGA_LITE,
    width: 360,
    height: 160,
    data: { values: data },
    mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'bin', type: 'quantitative', title: 'estimated propensity score', scale: { domain: [0, 1] } },
      x2: { field: 'binEnd' },
      y: { field: 'count', type: 'quantitative', title: 'snippets (treated up, control down)' },
      y2: { datum: 0 },
      color: { field: 'arm', type: 'nominal', title: null, scale: { domain: ['control', 'treated'], range: ['#999999', '#1f77b4'] }, legend: { orient: 'bottom' } },
    },
  } as TopLevelSpec;
}

/** Distribution of snippet means per concept: a box plot drawn from precomputed quartiles (whiskers: min to max). */
export function distributionSpec(rows: (ConceptPerformance & { model: string })[]): TopLevelSpec {
  const data = rows.map((r) => ({ language: r.language, concept: r.concept, model: r.model, mean: r.meanLogprob, min: r.quartiles[0], q1: r.quartiles[1], median: r.quartiles[2], q3: r.quartiles[3], max: r.quartiles[4] }));
  return conceptPanel(rows, data, (y, { colour, yOffset }) => [
    { mark: { type: 'rule' }, encoding: { y, ...yOffset, x: { field: 'min', type: 'quantitative', title: 'snippet mean log-prob per token (nats): min, quartiles, max', scale: { zero: false } }, x2: { field: 'max' }, color: colour } },
    { mark: { type: 'bar', size: 9, fillOpacity: 0.35, strokeWidth: 1 }, encoding: { y, ...yOffset, x: { field: 'q1', type: 'quantitative' }, x2: { field: 'q3' }, color: colour, stroke: colour } },
    { mark: { type: 'tick', size: 11, thickness: 2, color: 'black' }, encoding: { y, ...yOffset, x: { field: 'median', type: 'quantitative' } } },
  ]);
}

/** Node-type performance, one panel per language (the leaf types differ by grammar), bootstrap CIs. */
export function nodeTypeSpec(rows: (NodeTypePerformance & { model: string })[]): TopLevelSpec {
  const models = [...new Set(rows.map((r) => r.model))];
  const data = rows.map((r) => ({ language: r.language, nodeType: r.nodeType, model: r.model, mean: r.meanLogprob, lo: r.ci[0], hi: r.ci[1] }));
  const y: YEncoding = { field: 'nodeType', type: 'nominal', sort: { field: 'mean', op: 'min', order: 'ascending' }, title: null };
  return {
    $schema: VEGA_LITE,
    data: { values: data },
    facet: { row: { field: 'language', type: 'nominal', title: null, header: { labelFontSize: 12, labelFontWeight: 'bold', labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' } } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 380,
      height: bandHeight(models.length, 15),
      layer: meanWithCi(y, seriesEncodings('model', models), 40),
    },
  } as TopLevelSpec;
}
