/**
 * The study design of the concept profile (issue 13, items 1-3), by simulations whose truth is known:
 * copies of a function in several testbeds give intervals that cover only after each function counts
 * once; a concept difference made by language disappears per language; an observational testbed's
 * treated arm is original code and enters the profile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conceptProfile, type ConceptRecord } from '../../src/report/profile.ts';
import { mean } from '../../src/stats/mean.ts';
import { TESTBED_FORMAT } from '../../src/testbeds/build.ts';
import { openTestbed, originalSnippets } from '../../src/testbeds/read.ts';
import { createRandom } from '../../src/util/random.ts';
import { tempDir } from '../helpers.ts';

function gaussian(seed: number): () => number {
  const random = createRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

interface Row { id: string; pairId: string | null; arm: 'control' | 'treated'; language: string; meta: Record<string, unknown> }

function writeTestbed(root: string, name: string, design: 'paired' | 'observational', rows: Row[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: TESTBED_FORMAT, name, design, counts: { rows: rows.length } }));
  writeFileSync(join(dir, 'rows.jsonl'), rows.map((r) => JSON.stringify({ ...r, code: 'x', covariates: {}, provenance: {} })).join('\n') + '\n');
  return dir;
}

const FUNCTIONS = 60;
const pairedRows = (meta: Record<string, unknown> = {}) => Array.from({ length: FUNCTIONS }, (_, i) => [
  { id: `f${i}#control`, pairId: `f${i}`, arm: 'control' as const, language: 'python', meta },
  { id: `f${i}#treated`, pairId: `f${i}`, arm: 'treated' as const, language: 'python', meta: { edited: true } },
]).flat();

async function threeTestbeds() {
  const root = tempDir();
  const dirs = [
    writeTestbed(root, 'remove-comments', 'paired', pairedRows()),
    writeTestbed(root, 'mask-random', 'paired', pairedRows({ masked: [[0, 1]] })),
    writeTestbed(root, 'rename', 'paired', pairedRows()),
    // an observational testbed: the same functions, half of them treated
    writeTestbed(root, 'has-docstring', 'observational', Array.from({ length: FUNCTIONS }, (_, i) => ({ id: `f${i}`, pairId: null, arm: i % 2 ? 'treated' as const : 'control' as const, language: 'python', meta: {} }))),
  ];
  return originalSnippets(dirs.map((d) => openTestbed(d)));
}

test('original code: each function once, edited arms and edited controls left out', async () => {
  const originals = await threeTestbeds();
  assert.equal(originals.get('remove-comments')!.size, FUNCTIONS, 'the first testbed holds every function');
  assert.equal(originals.get('mask-random')!.size, 0, 'a masked control is not original code');
  assert.equal(originals.get('rename')!.size, 0, 'copies in later testbeds are not counted again');
  assert.equal(originals.get('has-docstring')!.size, 0);
  assert.ok(![...originals.get('remove-comments')!.keys()].some((id) => id.endsWith('#treated')));
  // an observational testbed of other functions: both arms are original code (item 3)
  const root = tempDir();
  const dir = writeTestbed(root, 'uses-exceptions', 'observational', Array.from({ length: 10 }, (_, i) => ({ id: `g${i}`, pairId: null, arm: i < 4 ? 'treated' as const : 'control' as const, language: 'go', meta: {} })));
  const only = (await originalSnippets([openTestbed(dir)])).get('uses-exceptions')!;
  assert.equal(only.size, 10);
  assert.ok(only.has('g0') && only.has('g9'), 'treated and control rows both count');
});

test('simulation: intervals over copies of the same functions undercover; counted once they cover at 95%', async () => {
  const originals = await threeTestbeds();
  const counted = new Set(originals.get('remove-comments')!.values());
  const truth = -3;
  let coveredPooled = 0;
  let coveredOnce = 0;
  const simulations = 200;
  for (let s = 0; s < simulations; s++) {
    const g = gaussian(1000 + s);
    const y = Array.from({ length: FUNCTIONS }, () => truth + g());
    // the pooled analysis: each function's control row from three testbeds, as before the fix
    const record = (i: number): ConceptRecord => ({ language: 'python', concept: 'c', meanLogprob: y[i], meanProb: 0, top1: null, tokens: 1 });
    const pooled = [0, 1, 2].flatMap(() => y.map((_, i) => record(i)));
    const once = y.map((_, i) => i).filter((i) => counted.has(`python\u0000f${i}`)).map(record);
    assert.equal(once.length, FUNCTIONS);
    const [p] = conceptProfile(pooled, { replicates: 300, seed: s });
    const [o] = conceptProfile(once, { replicates: 300, seed: s });
    if (p.ci[0] <= truth && truth <= p.ci[1]) coveredPooled++;
    if (o.ci[0] <= truth && truth <= o.ci[1]) coveredOnce++;
  }
  assert.ok(coveredPooled / simulations < 0.85, `pooled copies covered ${coveredPooled} of ${simulations}`);
  assert.ok(coveredOnce / simulations >= 0.9 && coveredOnce / simulations <= 0.99, `each function once covered ${coveredOnce} of ${simulations}`);
});

test('simulation: a concept gap made by language disappears in the per-language profile', () => {
  // java is 4 nats harder for this model everywhere; concept X is in 80% of java functions and 20% of
  // python ones, Y the rest; within a language, X and Y are equally hard (the truth: no concept difference)
  const g = gaussian(5);
  const records: ConceptRecord[] = [];
  for (let i = 0; i < 400; i++) {
    const language = i % 2 ? 'java' : 'python';
    const base = (language === 'java' ? -6 : -2) + 0.5 * g();
    const hasX = language === 'java' ? i % 10 !== 1 : i % 10 === 0;
    records.push({ language, concept: hasX ? 'X' : 'Y', meanLogprob: base + 0.3 * g(), meanProb: 0, top1: null, tokens: 10 });
  }
  const pooledGap = mean(records.filter((r) => r.concept === 'X').map((r) => r.meanLogprob)) - mean(records.filter((r) => r.concept === 'Y').map((r) => r.meanLogprob));
  assert.ok(pooledGap < -2, `pooled, X looks ${pooledGap.toFixed(2)} nats harder`);
  const profile = conceptProfile(records, { replicates: 500, seed: 0 });
  assert.deepEqual([...new Set(profile.map((r) => r.language))], ['java', 'python']);
  for (const language of ['java', 'python']) {
    const x = profile.find((r) => r.language === language && r.concept === 'X')!;
    const y = profile.find((r) => r.language === language && r.concept === 'Y')!;
    assert.ok(Math.abs(x.meanLogprob - y.meanLogprob) < 0.5, `${language}: X ${x.meanLogprob.toFixed(2)}, Y ${y.meanLogprob.toFixed(2)}`);
    assert.ok(x.ci[0] < y.ci[1] && y.ci[0] < x.ci[1], `${language}: the intervals overlap`);
  }
});
