import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decideGate, DEFAULT_RULES, type ConceptSample, type GateRules } from '../../src/gate/gate.ts';
import { createRandom } from '../../src/util/random.ts';
import { tempDir } from '../helpers.ts';
import { simulate } from '../report/simulate.ts';

const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));
const CONCEPTS = ['decision', 'iterative', 'natural_language', 'operator', 'scope', 'types'];
const rules = (over: Partial<GateRules> = {}): GateRules => ({ ...DEFAULT_RULES, bootstrapReplicates: 500, ...over });

function gaussian(seed: number): () => number {
  const random = createRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

/** Per concept, n snippets: baseline values, and the candidate = baseline + shift + noise. */
function samples(seed: number, shift: Record<string, number>, noise: number, n = 60): Map<string, ConceptSample> {
  const g = gaussian(seed);
  return new Map(CONCEPTS.map((concept) => {
    const baseline = Array.from({ length: n }, () => -1.5 + 0.3 * g());
    const candidate = baseline.map((b) => b + (shift[concept] ?? 0) + noise * g());
    return [concept, { baseline, candidate, tokens: 40 * n }];
  }));
}

test('gate: a candidate equal to the baseline passes, every concept non-inferior', () => {
  const d = decideGate(samples(1, {}, 0), rules());
  assert.equal(d.passed, true);
  assert.ok(d.verdicts.every((v) => v.verdict === 'non-inferior'), JSON.stringify(d.verdicts.map((v) => v.verdict)));
});

test('gate: damage to one concept fails on that concept and only that one', () => {
  const d = decideGate(samples(2, { operator: -0.15 }, 0.05), rules({ margin: 0.02 }));
  assert.equal(d.passed, false);
  assert.deepEqual(d.regressed, ['operator']);
  const op = d.verdicts.find((v) => v.concept === 'operator')!;
  assert.ok(op.ci[0] < -0.15 && -0.15 < op.ci[1], `bootstrap CI ${op.ci} covers the damage`);
  // a damage within the margin is tolerated
  assert.equal(decideGate(samples(2, { operator: -0.01 }, 0.002), rules({ margin: 0.02 })).passed, true);
  // cross-entropy: higher is worse, so the orientation flips
  const ce = decideGate(samples(3, { decision: 0.15 }, 0.05), rules({ metric: 'cross-entropy' }));
  assert.deepEqual(ce.regressed, ['decision']);
});

test('gate: noise alone fails no more often than alpha over repeated seeded runs', () => {
  const runs = 300;
  let failures = 0;
  for (let seed = 0; seed < runs; seed++) if (!decideGate(samples(100 + seed, {}, 0.1, 40), rules({ margin: 0, bootstrapReplicates: 100 })).passed) failures++;
  const rate = failures / runs;
  // BH controls the family-wise rate under the global null at alpha; 3 binomial SEs of slack
  assert.ok(rate <= 0.05 + 3 * Math.sqrt((0.05 * 0.95) / runs), `false-failure rate ${rate}`);
  assert.ok(rate > 0, 'the test can fail: at margin 0 some noise runs do fail');
});

test('gate: rules skip small or ignored concepts and apply per-concept margins', () => {
  const s = samples(4, { operator: -0.15, scope: -0.15 }, 0.05);
  s.set('testing', { baseline: [1, 2, 3], candidate: [0, 1, 2], tokens: 30 });
  const d = decideGate(s, rules({ ignore: ['scope'], margins: { operator: 0.5 } }));
  assert.equal(d.passed, true);
  assert.equal(d.verdicts.find((v) => v.concept === 'scope')!.verdict, 'skipped');
  assert.match(d.verdicts.find((v) => v.concept === 'testing')!.reason!, /3 snippets, fewer than the minimum 10/);
});

test('cli gate: exit codes and the Markdown, JUnit and JSON outputs', async () => {
  const dir = tempDir('cge-gate-');
  const testbed = 'remove-comments';
  await simulate(join(dir, 'base.jsonl'), [testbed], 7);
  await simulate(join(dir, 'worse.jsonl'), [testbed], 7, -1); // natural-language tokens 1 nat worse
  const gate = (...args: string[]) => spawnSync(process.execPath, [BIN, 'gate', '--testbed', testbed, '--db', join(dir, 'scores.duckdb'), '--quiet', ...args], { cwd: dir, encoding: 'utf8' });

  const same = gate('--baseline', `logprobs:${join(dir, 'base.jsonl')}`, '--candidate', `logprobs:${join(dir, 'base.jsonl')}`);
  assert.equal(same.status, 0, same.stderr);
  assert.match(same.stdout, /^PASSED/);

  const worse = gate('--baseline', `logprobs:${join(dir, 'base.jsonl')}`, '--candidate', `logprobs:${join(dir, 'worse.jsonl')}`, '--markdown', join(dir, 'summary.md'), '--junit', join(dir, 'junit.xml'));
  assert.equal(worse.status, 1, worse.stderr);
  assert.match(worse.stdout, /^FAILED: .* on .*natural_language/);
  assert.match(worse.stdout, /natural_language .*REGRESSED/);
  const md = readFileSync(join(dir, 'summary.md'), 'utf8');
  assert.match(md, /### codegen-eval gate: ❌ failed/);
  assert.match(md, /\| natural_language \|.*\*\*REGRESSED\*\* \|/);
  const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
  assert.match(xml, /<testcase classname="codegen-eval.gate.logprob" name="natural_language"><failure message="regressed beyond the margin: difference -/);
  assert.match(xml, /<testsuites name="codegen-eval gate" tests="\d+" failures="[1-9]/);

  const json = gate('--baseline', `logprobs:${join(dir, 'base.jsonl')}`, '--candidate', `logprobs:${join(dir, 'worse.jsonl')}`, '--json', '--concepts', 'natural_language,operator');
  assert.equal(json.status, 1);
  const result = JSON.parse(json.stdout) as { passed: boolean; regressed: string[]; verdicts: { concept: string }[] };
  assert.equal(result.passed, false);
  assert.deepEqual(result.verdicts.map((v) => v.concept), ['natural_language', 'operator']);
  assert.ok(result.regressed.includes('natural_language'));

  // stored baseline scores: export them from another database, gate against them in a fresh one
  const exported = join(dir, 'baseline-export');
  const score = spawnSync(process.execPath, [BIN, 'score', '--model', `logprobs:${join(dir, 'base.jsonl')}`, '--testbed', testbed, '--out', join(dir, 'other.duckdb'), '--parquet', exported, '--quiet'], { cwd: dir, encoding: 'utf8' });
  assert.equal(score.status, 0, score.stderr);
  const stored = spawnSync(process.execPath, [BIN, 'gate', '--testbed', testbed, '--db', join(dir, 'fresh.duckdb'), '--quiet', '--baseline', 'stored', '--baseline-scores', join(exported, 'tokens.parquet'), '--candidate', `logprobs:${join(dir, 'worse.jsonl')}`, '--json'], { cwd: dir, encoding: 'utf8' });
  assert.equal(stored.status, 1, stored.stderr);
  type Verdicts = { regressed: string[]; verdicts: { concept: string; difference: number | null }[] };
  const fromStore = JSON.parse(stored.stdout) as Verdicts;
  const scoredHere = JSON.parse(gate('--baseline', `logprobs:${join(dir, 'base.jsonl')}`, '--candidate', `logprobs:${join(dir, 'worse.jsonl')}`, '--json').stdout) as Verdicts;
  assert.deepEqual(fromStore.regressed, scoredHere.regressed, 'stored baseline scores give the same verdicts');
  // equal up to DuckDB's summation order
  fromStore.verdicts.forEach((v, i) => assert.ok(v.concept === scoredHere.verdicts[i].concept && Math.abs((v.difference ?? 0) - (scoredHere.verdicts[i].difference ?? 0)) < 1e-12, v.concept));
  const noExport = gate('--baseline', 'stored', '--baseline-scores', join(dir, 'nothing-here'), '--candidate', `logprobs:${join(dir, 'base.jsonl')}`);
  assert.equal(noExport.status, 2);
  assert.match(noExport.stderr, /nothing-here is not a scores export: runs\.parquet/);

  // usage and data errors are exit 2, with a message and no stack trace
  const badSpec = gate('--baseline', 'nosuch:thing', '--candidate', 'demo');
  assert.equal(badSpec.status, 2);
  assert.match(badSpec.stderr, /unknown model spec 'nosuch:thing'/);
  const missing = gate('--baseline', `logprobs:${join(dir, 'absent.jsonl')}`, '--candidate', `logprobs:${join(dir, 'base.jsonl')}`);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /absent\.jsonl/);
  const unknown = gate('--baseline', `logprobs:${join(dir, 'base.jsonl')}`, '--candidate', `logprobs:${join(dir, 'base.jsonl')}`, '--concepts', 'recursion');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown concept recursion/);
  writeFileSync(join(dir, 'gate.conf'), 'gate {\n  metric = perplexity\n}\n');
  const badConfig = gate('--baseline', 'demo', '--candidate', 'demo', '--config', 'gate.conf');
  assert.equal(badConfig.status, 2);
  assert.match(badConfig.stderr, /gate\.conf:2.*'gate\.metric' must be one of logprob, top1, cross-entropy/);
  for (const r of [badSpec, missing, unknown, badConfig]) assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('the shipped conf/gate.conf and conf/report.conf hold exactly the code defaults', async () => {
  const { loadGateConfig } = await import('../../src/gate/config.ts');
  const { loadReportConfig, REPORT_DEFAULTS } = await import('../../src/report/config.ts');
  const { packagePath } = await import('../../src/util/paths.ts');
  const gateConf = loadGateConfig(packagePath('conf', 'gate.conf'));
  assert.deepEqual(gateConf.rules, DEFAULT_RULES);
  assert.deepEqual(gateConf.testbeds, []);
  assert.deepEqual(loadReportConfig(packagePath('conf', 'report.conf')), REPORT_DEFAULTS);
});
