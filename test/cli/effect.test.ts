import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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
  const reg = JSON.parse(run(['effect', '--data', CSV, '--treatment', 'treat', '--outcome', 'y', '--confounders', CONF, '--method', 'regression', '--vcov', 'classical', '--json']).stdout);
  assert.ok(Math.abs(reg.se - reference().golden.g_regression_adjustment.treat.classical.se) / reg.se < 1e-9);
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
  const cases: [string[], number, RegExp][] = [
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--confounders', 'x'], 1, /missing value in column 'x' at data row 3/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--confounders', 'zz'], 1, /no column 'zz'/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--method', 'ipw', '--trim', '0.6'], 2, /--trim must lie in \(0, 0\.5\), got 0\.6/],
    [['effect', '--data', 'd.csv', '--treatment', 'g', '--outcome', 'y'], 1, /treatment 'g' must be 0\/1 or true\/false/],
    [['effect', '--data', 'nope.csv', '--treatment', 't', '--outcome', 'y'], 1, /data file not found: nope\.csv/],
    [['effect', '--data', 'bad.csv', '--treatment', 't', '--outcome', 'y'], 1, /bad\.csv:3: 3 fields, the header has 2/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--method', 'magic'], 2, /Allowed choices are/],
    [['effect', '--data', 'd.csv', '--treatment', 't', '--outcome', 'y', '--refute', 'astrology'], 2, /unknown refuter 'astrology'/],
  ];
  for (const [args, code, message] of cases) {
    const r = run(args, cwd);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
