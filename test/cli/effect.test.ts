import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { readTable } from '../../src/stats/readTable.ts';
import { tempDir } from '../helpers.ts';
import { REFERENCE_DIR, reference} from '../stats/golden.ts';

const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));
const run = (args: string[], cwd = tempDir()) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const CSV = join(REFERENCE_DIR, 'observational.csv');
const CONF = 'x1,x2,x3,x4,b1,b2,cat';

test('cli effect --json prints one object with the contract fields, equal to R', () => {
  const r = run(['effect', '--data', CSV, '--treatment', 'treat', '--outcome', 'y', '--confounders', CONF, '--json', '--refute', 'placebo', '--simulations', '10']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const key of ['estimate', 'se', 'ci', 'p', 'n', 'method', 'estimand', 'diagnostics', 'refutations']) assert.ok(key in out, key);
  assert.equal(out.ci.length, 2);
  assert.equal(out.method, 'matching');
  assert.equal(out.estimand, 'ATT');
  assert.ok(Math.abs(out.estimate - reference().golden.b_nn_1to1_largest.att) < 1e-9);
  assert.equal(out.refutations[0].refuter, 'placebo');
  const reg = JSON.parse(run(['effect', '--data', CSV, '--treatment', 'treat', '--outcome', 'y', '--confounders', CONF, '--method', 'regression', '--vcov', 'classical', '--constant-effect', '--json']).stdout);
  assert.ok(Math.abs(reg.se - reference().golden.g_regression_adjustment.treat.classical.se) / reg.se < 1e-9);
});

test('effect --matched-data writes MatchIt\'s match.data (get_matches with --replace), and never over a file', async () => {
  const edges = JSON.parse(readFileSync(join(REFERENCE_DIR, 'edges.json'), 'utf8'));
  const dir = tempDir();
  const data = join(REFERENCE_DIR, 'edges.csv');
  const args = ['effect', '--data', data, '--treatment', 'treat', '--outcome', 'y', '--confounders', 'b1,b2,b3,cat'];
  const r = run([...args, '--matched-data', join(dir, 'matched.csv'), '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!('matched' in JSON.parse(r.stdout)), 'the per-unit data is in the file, not in --json');
  const table = await readTable(join(dir, 'matched.csv'));
  const rows = table.columns.get('row') as Float64Array;
  const weights = table.columns.get('weights') as Float64Array;
  const theirs = (edges.nearest_att.weights as number[]).map((w, i) => [i + 1, w]).filter(([, w]) => w > 0);
  assert.deepEqual(Array.from(rows), theirs.map(([i]) => i), 'the matched units, in data order');
  theirs.forEach(([, w], k) => assert.ok(Math.abs(weights[k] - w) < 1e-10));
  // each pair holds one treated and one control unit
  const subclass = table.columns.get('subclass') as Float64Array;
  assert.equal(new Set(subclass).size, edges.meta.n_treated);
  const replace = run([...args, '--replace', '--matched-data', join(dir, 'pairs.csv')], dir);
  assert.equal(replace.code, 0, replace.stderr);
  const pairs = await readTable(join(dir, 'pairs.csv'));
  assert.equal(pairs.n, edges.nearest_att_replace.get_matches.rows, 'get_matches() rows: one per unit per pair');
  assert.deepEqual(pairs.names, ['row', 'id', 'b1', 'b2', 'b3', 'cat', 'treat', 'y', 'distance', 'weights', 'subclass']);
  assert.deepEqual(table.names, pairs.names, 'every data column, as match.data() has them');
  // after --na drop, `row` is still the row in the data file: the ids say so
  const lines = readFileSync(data, 'utf8').trim().split('\n');
  const holed = join(dir, 'holed.csv');
  writeFileSync(holed, `${[lines[0], lines[1].replace(/^(\d+),\d/, '$1,'), ...lines.slice(2)].join('\n')}\n`);
  const dropped = run(['effect', '--data', holed, '--treatment', 'treat', '--outcome', 'y', '--confounders', 'b1,b2,b3,cat', '--na', 'drop', '--matched-data', join(dir, 'after-drop.csv')], dir);
  assert.equal(dropped.code, 0, dropped.stderr);
  const afterDrop = await readTable(join(dir, 'after-drop.csv'));
  assert.deepEqual(Array.from(afterDrop.columns.get('row') as Float64Array), Array.from(afterDrop.columns.get('id') as Float64Array), 'row = id = the row in the file');
  const again = run([...args, '--matched-data', join(dir, 'matched.csv')], dir);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /--matched-data .*matched\.csv exists: nothing was changed/);
  const wrong = run([...args, '--method', 'regression', '--matched-data', join(dir, 'x.csv')], dir);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--matched-data applies to --method matching/);
  const folder = run([...args, '--matched-data', dir], dir);
  assert.equal(folder.code, 1);
  assert.match(folder.stderr, /exists and is a folder: nothing was changed/);
  const bca = run([...args, '--bca'], dir);
  assert.equal(bca.code, 2);
  assert.match(bca.stderr, /--bca .* needs --bootstrap/);
});

test('effect reads Parquet as it reads CSV', async () => {
  const dir = tempDir();
  const parquet = join(dir, 'obs.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run(`COPY (SELECT * FROM read_csv_auto('${CSV}')) TO '${parquet}' (FORMAT parquet)`);
  con.closeSync();
  db.closeSync();
  const table = await readTable(parquet);
  assert.equal(table.n, 1500);
  assert.deepEqual(table.names, reference().data.names);
  const r = run(['effect', '--data', parquet, '--treatment', 'treat', '--outcome', 'y', '--confounders', CONF, '--method', 'aipw', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Math.abs(JSON.parse(r.stdout).estimate - reference().golden.i_ipw_aipw.aipw_ate) < 1e-7);
});

test('cli effect: user mistakes are clear errors without stack traces', () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'd.csv'), 't,y,x,g\n0,1.5,1,a\n1,2.5,2,b\n0,1.0,,a\n1,3.0,4,b\n0,2.0,5,a\n1,4.0,6,b\n');
  writeFileSync(join(cwd, 'bad.csv'), 't,y\n0,1\n1,2,3\n');
  writeFileSync(join(cwd, 'header.csv'), 't,y\n');
  const cases: [string[], number, RegExp][] = [
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--confounders', 'x'], 1, /d\.csv:4: a missing value in column 'x'/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--confounders', 'zz'], 1, /no column 'zz'/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--method', 'ipw', '--trim', '0.6'], 2, /--trim must lie in \(0, 0\.5\), got 0\.6/],
    [['effect', '--data', 'd.csv', '--treatment', 'g', '--outcome', 'y'], 1, /treatment 'g' must be 0\/1 or true\/false/],
    [['effect', '--data', 'nope.csv', '--treatment', 't', '--outcome', 'y'], 1, /data file not found: nope\.csv/],
    [['effect', '--data', 'bad.csv', '--treatment', 't', '--outcome', 'y'], 1, /bad\.csv:3: 3 fields, the header has 2/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--method', 'magic'], 2, /Allowed choices are/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--refute', 'astrology'], 2, /unknown refuter 'astrology'/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--trim', '0.1'], 2, /--trim applies to --method ipw or aipw, not matching/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--method', 'ipw', '--ratio', '3'], 2, /--ratio applies to --method matching, not ipw/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--strata', '5'], 2, /--strata applies to --method stratification, not matching/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--bootstrap', '1'], 2, /--bootstrap needs at least 2 replicates/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--caliper', '-1'], 2, /--caliper must be a positive number/],
    [['effect', '--data', 'header.csv', '--treatment', 't', '--outcome', 'y'], 1, /header\.csv: the file has a header but no data rows/],
  ];
  for (const [args, code, message] of cases) {
    const r = run(args, cwd);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('effect: a numeric column with stray values, a non-finite outcome and bad bytes are errors naming the rows; --na drop leaves them out and says so', () => {
  const cwd = tempDir();
  const rows = Array.from({ length: 60 }, (_, i) => ({ t: i % 2, x: ((i * 37) % 11) / 3, k: i % 4 }));
  const csv = (edit: (r: { t: number; x: number; k: number }, i: number) => string) => `t,y,x,k\n${rows.map(edit).join('\n')}\n`;
  const clean = (r: { t: number; x: number; k: number }, i: number) => `${r.t},${(r.x + r.t + (i % 5) / 10).toFixed(3)},${r.x.toFixed(3)},${r.k}`;
  writeFileSync(join(cwd, 'clean.csv'), csv(clean));
  writeFileSync(join(cwd, 'stray.csv'), csv((r, i) => (i === 16 ? clean(r, i).replace(/,\d$/, ',n/a') : i === 40 ? clean(r, i).replace(/,\d$/, ',Inf') : clean(r, i))));
  writeFileSync(join(cwd, 'inf.csv'), csv((r, i) => (i === 8 ? clean(r, i).replace(/^(\d),[^,]+/, '$1,Inf') : clean(r, i))));
  writeFileSync(join(cwd, 'latin1.csv'), Buffer.concat([Buffer.from('t,y,g\n1,2,a\n0,1,'), Buffer.from([0xe9]), Buffer.from('t\u00e9\n'.replace('\u00e9', 'e'))]));
  const args = (file: string, ...more: string[]) => ['effect', '--data', file, '--treatment', 't', '--outcome', 'y', '--confounders', 'x,k', '--method', 'ipw', ...more];
  const base = run([...args('clean.csv'), '--json'], cwd);
  assert.equal(base.code, 0, base.stderr);

  const stray = run(args('stray.csv'), cwd);
  assert.equal(stray.code, 1);
  assert.match(stray.stderr, /stray\.csv: the confounder column 'k' holds numbers but 2 of its 60 values are not: line 18 "n\/a", line 42 "Inf"/);
  assert.match(stray.stderr, /--na drop/);
  assert.doesNotMatch(stray.stderr, /\n\s+at /);

  const inf = run(args('inf.csv'), cwd);
  assert.equal(inf.code, 1);
  assert.match(inf.stderr, /the outcome column 'y' holds numbers but 1 of its 60 values are not: line 10 "Inf"/);

  const bytes = run(['effect', '--data', 'latin1.csv', '--treatment', 't', '--outcome', 'y'], cwd);
  assert.equal(bytes.code, 1);
  assert.match(bytes.stderr, /latin1\.csv:3: the file is not valid UTF-8/);

  const dropped = run([...args('stray.csv', '--na', 'drop'), '--json'], cwd);
  assert.equal(dropped.code, 0, dropped.stderr);
  const out = JSON.parse(dropped.stdout);
  assert.equal(out.n.total, 58);
  assert.ok(out.diagnostics.warnings.some((w: string) => /2 of 60 rows had a missing or non-numeric value and were dropped \(k: 2\)/.test(w)), out.diagnostics.warnings.join('; '));
  assert.ok(!out.diagnostics.balance.before.some((b: { label: string }) => /k = (Inf|n\/a)/.test(b.label)), 'no stray value became a category');
  // complete cases give exactly the estimate on the file without those rows
  writeFileSync(join(cwd, 'without.csv'), csv(clean).split('\n').filter((_, line) => line !== 17 && line !== 41).join('\n'));
  const without = JSON.parse(run([...args('without.csv'), '--json'], cwd).stdout);
  assert.equal(out.estimate, without.estimate);

  const codes = run([...args('stray.csv', '--na', 'drop', '--categorical', 'k'), '--json'], cwd);
  assert.equal(codes.code, 0, codes.stderr);
  assert.deepEqual(JSON.parse(codes.stdout).diagnostics.balance.before.map((b: { label: string }) => b.label).filter((l: string) => l.startsWith('k')).sort(), ['k = 0', 'k = 1', 'k = 2', 'k = 3', 'k = Inf', 'k = n/a']);
});

test('effect: a quoted field with a line break is read (RFC 4180) and the estimate is as without it; no confounders give null balance, not -Infinity', () => {
  const cwd = tempDir();
  const lines = ['t,y,x,note'];
  for (let i = 0; i < 40; i++) lines.push(`${i % 2},${(i % 7) / 2 + (i % 2)},${i % 7},"line one\nline two, with ""quotes"""`);
  writeFileSync(join(cwd, 'notes.csv'), lines.join('\r\n') + '\r\n');
  writeFileSync(join(cwd, 'plain.csv'), lines.map((l) => l.replace(/,"[^]*$/, ',x').replace(',note', ',note')).join('\n') + '\n');
  const a = run(['effect', '--data', 'notes.csv', '--treatment', 't', '--outcome', 'y', '--confounders', 'x', '--method', 'regression', '--json'], cwd);
  assert.equal(a.code, 0, a.stderr);
  const b = run(['effect', '--data', 'plain.csv', '--treatment', 't', '--outcome', 'y', '--confounders', 'x', '--method', 'regression', '--json'], cwd);
  assert.equal(JSON.parse(a.stdout).estimate, JSON.parse(b.stdout).estimate);
  const none = run(['effect', '--data', 'plain.csv', '--treatment', 't', '--outcome', 'y', '--method', 'ipw', '--json'], cwd);
  assert.equal(none.code, 0, none.stderr);
  assert.doesNotMatch(none.stdout, /Infinity/);
  const est = JSON.parse(none.stdout);
  assert.equal(est.diagnostics.balance.maxAbsSmdBefore, null);
  assert.ok(est.diagnostics.warnings.some((w: string) => /no confounders: the estimate is the unadjusted difference/.test(w)));
});
