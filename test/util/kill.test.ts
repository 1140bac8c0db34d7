// Outputs survive `kill -9` at any moment: a killed `report` or `testbed build` leaves the previous
// output whole (never a mix of two runs, never an empty path), and the next run finishes and cleans up.
// The kill points are random (seeded, so a failure can be replayed), over the whole run: scoring,
// analysis, figures, the PDF step and the swap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom } from '../../src/util/random.ts';
import { findBrowser } from '../../src/report/pdf.ts';
import { simulate } from '../report/simulate.ts';
import { tempDir } from '../helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));

/** Run the CLI; with `killAfterMs`, SIGKILL it then. Resolves with the exit code (null when killed) and the run's length. */
function run(args: string[], cwd: string, killAfterMs?: number): Promise<{ code: number | null; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: Date.now() - started });
    });
  });
}

const leftovers = (dir: string, name: string) => readdirSync(dir).filter((f) => f.startsWith(`.${name}.building-`) || f.startsWith(`${name}.old-`));

/** A report folder is whole: its manifest lists exactly its files, and every file comes from the run the manifest names (by seed). */
function assertWholeReport(out: string, what: string): number {
  assert.ok(existsSync(join(out, 'manifest.json')), `${what}: the report folder has its manifest`);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { config: { seed: number }; files: string[] };
  const present = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(out.length + 1)).sort();
  assert.deepEqual(present, [...manifest.files, 'manifest.json'].sort(), `${what}: the files are the manifest's`);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { seed: number };
  assert.equal(results.seed, manifest.config.seed, `${what}: results.json is from the manifest's run`);
  assert.match(readFileSync(join(out, 'index.html'), 'utf8'), new RegExp(`seed ${manifest.config.seed},`), `${what}: index.html is from the manifest's run`);
  return manifest.config.seed;
}

test('report killed with SIGKILL at random points: the previous report stays whole; the next run completes and cleans up', { timeout: 600_000 }, async () => {
  const cwd = tempDir('cge-kill-');
  await simulate(join(cwd, 'sim.jsonl'), ['remove-comments']);
  const pdf = findBrowser() ? [] : ['--no-pdf'];
  const args = (seed: number) => ['report', '--model', 'logprobs:sim.jsonl', '--testbed', 'remove-comments', '--db', 's.duckdb', '--out', 'rep', '--bootstrap', '200', '--seed', String(seed), '--quiet', ...pdf];
  const first = await run(args(1), cwd);
  assert.equal(first.code, 0, first.stderr);
  assertWholeReport(join(cwd, 'rep'), 'first run');
  const full = await run(args(2), cwd); // scores cached: the length of the runs killed below
  assert.equal(full.code, 0, full.stderr);
  const random = createRandom(20261202);
  let seed = 2;
  for (let trial = 0; trial < 4; trial++) {
    const killAt = Math.round(full.ms * (0.15 + 0.85 * random.next()));
    const killed = await run(args(++seed), cwd, killAt);
    const found = assertWholeReport(join(cwd, 'rep'), `killed at ${killAt} ms of ${full.ms}`);
    // the previous run's report, or this one's when its swap was done before the kill
    assert.ok(found === seed - 1 || found === seed, `killed at ${killAt} ms: the report is the previous run's (seed ${seed - 1}) or, if its swap was done, this one's; found seed ${found}`);
    if (killed.code === 0) assert.equal(found, seed);
    if (found === seed) continue;
    const again = await run(args(seed), cwd);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(assertWholeReport(join(cwd, 'rep'), `rerun after the kill at ${killAt} ms`), seed);
    assert.deepEqual(leftovers(cwd, 'rep'), [], 'the killed run\'s build folder is cleaned up');
  }
});

test('testbed build killed with SIGKILL at random points: the previous testbed and the corpus stay whole', { timeout: 300_000 }, async () => {
  const cwd = tempDir('cge-kill-');
  const corpus = fileURLToPath(new URL('../../testbeds/corpus/default.jsonl.gz', import.meta.url));
  const corpusBytes = readFileSync(corpus);
  const args = (seed: number) => ['testbed', 'build', '--corpus', corpus, '--intervention', 'rename-identifiers', '--seed', String(seed), '--out', 'tb', '--quiet'];
  const first = await run(args(1), cwd);
  assert.equal(first.code, 0, first.stderr);
  const whole = (what: string) => {
    const manifest = JSON.parse(readFileSync(join(cwd, 'tb', 'manifest.json'), 'utf8')) as { options: { seed: number }; counts: { rows: number } };
    const rows = readFileSync(join(cwd, 'tb', 'rows.jsonl'), 'utf8').split('\n').filter(Boolean);
    assert.equal(rows.length, manifest.counts.rows, `${what}: rows.jsonl holds the manifest's rows`);
    return manifest.options.seed;
  };
  assert.equal(whole('first run'), 1);
  writeFileSync(join(cwd, 'note.txt'), 'mine');
  const random = createRandom(7);
  let seed = 1;
  for (let trial = 0; trial < 3; trial++) {
    const killAt = Math.round(first.ms * (0.1 + 0.9 * random.next()));
    const killed = await run(args(++seed), cwd, killAt);
    const found = whole(`killed at ${killAt} ms of ${first.ms}`);
    assert.ok(found === seed - 1 || found === seed, `killed at ${killAt} ms: found the testbed of seed ${found}`);
    if (killed.code === 0) assert.equal(found, seed);
    if (found !== seed) {
      const again = await run(args(seed), cwd);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(whole('rerun'), seed);
    }
    assert.deepEqual(leftovers(cwd, 'tb'), []);
  }
  assert.ok(readFileSync(corpus).equals(corpusBytes), 'the corpus is untouched');
  assert.equal(readFileSync(join(cwd, 'note.txt'), 'utf8'), 'mine');
});
