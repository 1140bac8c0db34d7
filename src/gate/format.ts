/** The gate's outputs: a terminal table, Markdown (for $GITHUB_STEP_SUMMARY), JUnit XML, JSON. */
import type { GateResult } from './run.ts';

const f = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const p = (x: number) => (!Number.isFinite(x) ? '–' : x < 0.001 ? '<0.001' : x.toFixed(3));
const ci = (c: [number, number]) => (Number.isFinite(c[0]) ? `[${f(c[0])}, ${f(c[1])}]` : '–');
const unit = (m: GateResult['metric']) => (m === 'logprob' ? 'nats/char' : m === 'top1' ? 'top-1 accuracy' : 'nats/token, lower is better');

function headline(r: GateResult): string {
  return r.passed
    ? `PASSED: ${r.candidate} does not regress beyond the margin on any concept against ${r.baseline} (${r.metric})`
    : `FAILED: ${r.candidate} regresses against ${r.baseline} on ${r.regressed.join(', ')} beyond the margin (${r.metric})`;
}

const headers = (r: GateResult) => ['concept', 'snippets', 'baseline', 'candidate', 'difference', `${Math.round((1 - r.alpha) * 100)}% CI`, 'margin', 'p', 'q', 'verdict'];
const verdictText = (v: GateResult['verdicts'][number]) => (v.verdict === 'skipped' ? `skipped: ${v.reason}` : v.verdict === 'regressed' ? 'REGRESSED' : v.verdict) + (v.notes?.length ? ` (${v.notes.join('; ')})` : '');
function rows(r: GateResult): string[][] {
  return r.verdicts.map((v) => [v.concept, String(v.snippets), f(v.baseline), f(v.candidate), f(v.difference), ci(v.ci), f(v.margin, 3), p(v.p), p(v.q), verdictText(v)]);
}
const ruleText = (r: GateResult) => `p: one-sided paired t test of a regression beyond the margin; q: Benjamini–Hochberg over the tested concepts; REGRESSED when q < ${r.alpha / 2}, which for one concept is the ${Math.round((1 - r.alpha) * 100)}% paired t interval lying wholly below −margin; non-inferior when it lies wholly above −margin`;

export function terminalTable(r: GateResult): string {
  const HEADERS = headers(r);
  const cells = [HEADERS, ...rows(r)];
  const widths = HEADERS.map((_, c) => Math.max(...cells.map((row) => (c === 9 ? 0 : row[c].length))));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : c === 9 ? cell : cell.padStart(widths[c]))).join('  ');
  return [`${headline(r)}`, `difference = candidate - baseline in ${unit(r.metric)}, oriented so that negative is worse; ${ruleText(r)}`, '', line(HEADERS), ...rows(r).map(line)].join('\n');
}

export function markdown(r: GateResult): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const HEADERS = headers(r);
  return [
    `### codegen-eval gate: ${r.passed ? '✅ passed' : '❌ failed'}`,
    '',
    esc(headline(r)),
    '',
    `Difference = candidate − baseline in ${unit(r.metric)}, oriented so that negative is worse; ${ruleText(r)}. Each function counts once, however many testbeds hold it. Testbeds: ${r.testbeds.join(', ')}.`,
    '',
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map((_, i) => (i === 0 || i === 9 ? '---' : '---:')).join('|')}|`,
    ...rows(r).map((row) => `| ${row.map((c, i) => (i === 9 && c.startsWith('REGRESSED') ? `**REGRESSED**${esc(c.slice(9))}` : esc(c))).join(' | ')} |`),
    '',
  ].join('\n');
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junit(r: GateResult): string {
  const cases = r.verdicts.map((v) => {
    const name = `${xml(v.concept)}`;
    const numbers = `difference ${f(v.difference)} ${unit(r.metric)}, ${Math.round((1 - r.alpha) * 100)}% CI ${ci(v.ci)}, margin ${f(v.margin, 3)}, p ${p(v.p)}, q ${p(v.q)}, ${v.snippets} snippets${v.notes?.length ? `; ${v.notes.join('; ')}` : ''}`;
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
