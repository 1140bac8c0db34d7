import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES, tempDir } from '../helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));

function run(args: string[], cwd = tempDir()) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('cli: help and version exit 0; unknown commands and flags exit 2', () => {
  const help = run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /testbed/);
  assert.equal(run(['testbed', 'build', '--help']).code, 0);
  assert.match(run(['--version']).stdout, /^\d+\.\d+\.\d+/);
  const unknown = run(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command/);
  assert.equal(run(['testbed', 'build', '--corpus', 'x']).code, 2); // --out missing
  assert.equal(run(['testbed', 'build', '--corpus', 'x', '--out', 'y', '--limit', 'many']).code, 2);
});

test('cli: testbed build, inspect and list, with --json', () => {
  const cwd = tempDir();
  cpSync(join(FIXTURES, 'code'), join(cwd, 'src'), { recursive: true });
  const built = run(['testbed', 'build', '--corpus', 'src', '--intervention', 'inject-bug', '--param', 'operators=comparison,boolean', '--out', 'testbeds/bugs', '--seed', '3', '--json', '--quiet'], cwd);
  assert.equal(built.code, 0, built.stderr);
  const manifest = JSON.parse(built.stdout);
  assert.deepEqual(manifest.treatment.params.operators, ['comparison', 'boolean']);
  assert.ok(manifest.counts.pairs >= 6);
  const inspected = run(['testbed', 'inspect', 'bugs', '--json'], cwd); // found by name under ./testbeds
  assert.equal(inspected.code, 0, inspected.stderr);
  const report = JSON.parse(inspected.stdout);
  assert.equal(report.rows, manifest.counts.rows);
  assert.equal(report.covariates.length, 15);
  const text = run(['testbed', 'inspect', 'testbeds/bugs'], cwd);
  assert.match(text.stdout, /cyclomatic/);
  assert.match(text.stdout, /paired diff/);
  const list = JSON.parse(run(['testbed', 'list', '--json']).stdout);
  assert.deepEqual(list.interventions.map((i: { name: string }) => i.name), ['remove-comments', 'rename-identifiers', 'inject-bug', 'mask-node', 'drop-type-annotations', 'reformat-whitespace']);
});

test('cli: user mistakes give a clear message and no stack trace', () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'bad.jsonl'), '{"language": "python", "code": "def f(x):\\n    return x + 1"}\n{oops\n');
  const cases: [string[], number, RegExp][] = [
    [['testbed', 'build', '--corpus', 'missing.jsonl', '--intervention', 'inject-bug', '--out', 'o'], 1, /corpus not found: missing\.jsonl/],
    [['testbed', 'build', '--corpus', 'bad.jsonl', '--intervention', 'nope', '--out', 'o'], 2, /unknown intervention 'nope'/],
    [['testbed', 'build', '--corpus', 'bad.jsonl', '--intervention', 'inject-bug', '--strict', '--out', 'o'], 1, /bad\.jsonl:2: malformed-json/],
    [['testbed', 'build', '--corpus', 'bad.jsonl', '--intervention', 'inject-bug', '--lang', 'cobol', '--out', 'o'], 2, /'cobol' is not a language/],
    [['testbed', 'inspect', 'nowhere'], 1, /no testbed at nowhere/],
    [['concepts', 'show', '--lang', 'python', '--file', 'none.conf'], 2, /concept taxonomy not found: none\.conf/],
  ];
  for (const [args, code, message] of cases) {
    const r = run(args, cwd);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const lenient = run(['testbed', 'build', '--corpus', 'bad.jsonl', '--intervention', 'inject-bug', '--out', 'o'], cwd);
  assert.equal(lenient.code, 0);
  assert.match(lenient.stderr, /bad\.jsonl:2: skipped \(malformed-json\)/);
  assert.match(lenient.stdout, /skipped input 1: malformed-json/);
});

test('cli: concepts align shows tokens with their concepts', () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'a.py'), 'for i in range(3):\n    print(i)\n');
  const r = run(['concepts', 'align', 'a.py', '--json'], cwd);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.tokens[0], { text: 'for', start: 0, end: 3, leaves: ['for'], concepts: ['iterative'] });
  assert.equal(out.covariates.cyclomatic, 2);
});
