/** The gate's outputs: a terminal table, Markdown (for $GITHUB_STEP_SUMMARY), JUnit XML, JSON. */
import type { GateResult } from './run.ts';

const f = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const p = (x: number) => (!Number.isFinite(x) ? '–' : x < 0.001 ? '<0.001' : x.toFixed(3));
const ci = (c: [number, number]) => (Number.isFinite(c[0]) ? `[${f(c[0])}, ${f(c[1])}]` : '–');
const unit = (m: GateResult['metric']) => (m === 'logprob' ? 'nats/char' : m === 'top1' ? 'top-1 accuracy' : 'nats/token, lower is better');

function headline(r: GateResult): string {
  return r.passed
    ? `PASSED: ${r.candidate} does not regress beyond the margin on any concept against ${r.baseline} (${r.metric}, BH q < ${r.alpha})`
    : `FAILED: ${r.candidate} regresses against ${r.baseline} on ${r.regressed.join(', ')} (${r.metric}, BH q < ${r.alpha})`;
}

const HEADERS = ['concept', 'snippets', 'baseline', 'candidate', 'difference', '95% CI', 'margin', 'p', 'q', 'verdict'];
function rows(r: GateResult): string[][] {
  return r.verdicts.map((v) => [v.concept, String(v.snippets), f(v.baseline), f(v.candidate), f(v.difference), ci(v.ci), f(v.margin, 3), p(v.p), p(v.q), v.verdict === 'skipped' ? `skipped: ${v.reason}` : v.verdict === 'regressed' ? 'REGRESSED' : v.verdict]);
}

export function terminalTable(r: GateResult): string {
  const cells = [HEADERS, ...rows(r)];
  const widths = HEADERS.map((_, c) => Math.max(...cells.map((row) => (c === 9 ? 0 : row[c].length))));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : c === 9 ? cell : cell.padStart(widths[c]))).join('  ');
  return [`${headline(r)}`, `difference = candidate - baseline in ${unit(r.metric)}, oriented so that negative is worse`, '', line(HEADERS), ...rows(r).map(line)].join('\n');
}

export function markdown(r: GateResult): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `### codegen-eval gate: ${r.passed ? '✅ passed' : '❌ failed'}`,
    '',
    esc(headline(r)),
    '',
    `Difference = candidate − baseline in ${unit(r.metric)}, oriented so that negative is worse; p: one-sided Wilcoxon signed-rank test of a regression beyond the margin; q: Benjamini–Hochberg; 95% CI: paired bootstrap. Testbeds: ${r.testbeds.join(', ')}.`,
    '',
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map((_, i) => (i === 0 || i === 9 ? '---' : '---:')).join('|')}|`,
    ...rows(r).map((row) => `| ${row.map((c, i) => (i === 9 && c === 'REGRESSED' ? '**REGRESSED**' : esc(c))).join(' | ')} |`),
    '',
  ].join('\n');
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junit(r: GateResult): string {
  const cases = r.verdicts.map((v) => {
    const name = `${xml(v.concept)}`;
    const numbers = `difference ${f(v.difference)} ${unit(r.metric)}, 95% CI ${ci(v.ci)}, margin ${f(v.margin, 3)}, p ${p(v.p)}, q ${p(v.q)}, ${v.snippets} snippets`;
    const body = v.verdict === 'regressed'
      ? `<failure message="${xml(`regressed beyond the margin: ${numbers}`)}" type="regression">${xml(numbers)}</failure>`
      : v.verdict === 'skipped' ? `<skipped message="${xml(v.reason ?? 'skipped')}"/>` : `<system-out>${xml(`${v.verdict}: ${numbers}`)}</system-out>`;
    return `    <testcase classname="codegen-eval.gate.${xml(r.metric)}" name="${name}">${body}</testcase>`;
  });
  const failures = r.verdicts.filter((v) => v.verdict === 'regressed').length;
  const skipped = r.verdicts.filter((v) => v.verdict === 'skipped').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="codegen-eval gate" tests="${r.verdicts.length}" failures="${failures}">`,
    `  <testsuite name="${xml(`${r.candidate} vs ${r.baseline}`)}" tests="${r.verdicts.length}" failures="${failures}" skipped="${skipped}" errors="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
