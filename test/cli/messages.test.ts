// A user's mistake or a damaged input is a clear error naming the path and what to do, found before
// the long work: never a stack trace, never "internal error". Each case runs the command a user would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));
const DEMO = fileURLToPath(new URL('../../models/demo', import.meta.url));

function cli(args: string[], cwd: string, options: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', ...options });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function expectError(r: { code: number | null; stderr: string }, code: number, message: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, message, what);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${what}: no stack trace`);
}

// Permissions do not bind root: as root, the permission cases run as the unprivileged user 65534.
const asUser: SpawnSyncOptions = process.getuid?.() === 0 ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: '/tmp' } } : {};
function openToAll(dir: string): string {
  chmodSync(dir, 0o755);
  return dir;
}

test('damaged model folders: a cut config.json, state.json or weights file, a truncated model.onnx', () => {
  const cwd = tempDir();
  const score = (model: string) => cli(['score', '--model', model, '--testbed', 'remove-comments', '--out', 'scores.duckdb', '--quiet'], cwd);
  const copy = (name: string) => {
    cpSync(DEMO, join(cwd, name), { recursive: true });
    return join(cwd, name);
  };
  const config = copy('cut-config');
  writeFileSync(join(config, 'config.json'), readFileSync(join(DEMO, 'config.json'), 'utf8').slice(0, 100));
  expectError(score(`./cut-config`), 1, /cut-config\/config\.json cannot be read/, 'config.json cut short');
  const state = copy('cut-state');
  writeFileSync(join(state, 'best', 'state.json'), readFileSync(join(DEMO, 'best', 'state.json'), 'utf8').slice(0, 50));
  expectError(score('./cut-state'), 1, /cut-state\/best\/state\.json cannot be read: .*\n\s+hint: the checkpoint is incomplete or damaged/, 'state.json cut short');
  const weights = copy('cut-weights');
  writeFileSync(join(weights, 'best', 'weights.bin'), readFileSync(join(DEMO, 'best', 'weights.bin')).subarray(0, 1000));
  expectError(score('./cut-weights'), 1, /weights\.bin: 250 floats where state\.json's parameters need/, 'weights cut short');

  assert.equal(cli(['export', '--model', 'demo', '--out', 'onnx-demo'], cwd).code, 0);
  const onnx = join(cwd, 'onnx-demo', 'onnx', 'model.onnx');
  writeFileSync(onnx, readFileSync(onnx).subarray(0, 100_000));
  expectError(score('hf:./onnx-demo'), 1, /model\.onnx cannot be loaded by onnxruntime .*the file is damaged or cut short/, 'truncated model.onnx');
});

test('scores databases: garbage, a folder, another program\'s database, one held open by another process, an unwritable place', async () => {
  const cwd = openToAll(tempDir());
  const score = (db: string, options: SpawnSyncOptions = {}) => cli(['score', '--model', 'demo', '--testbed', 'remove-comments', '--out', db, '--quiet'], cwd, options);
  writeFileSync(join(cwd, 'garbage.duckdb'), 'not a database\n');
  expectError(score('garbage.duckdb'), 1, /garbage\.duckdb exists but is not a DuckDB database/, 'garbage');
  assert.equal(readFileSync(join(cwd, 'garbage.duckdb'), 'utf8'), 'not a database\n', 'left as it was');
  mkdirSync(join(cwd, 'folder.duckdb'));
  expectError(score('folder.duckdb'), 1, /the scores database .*folder\.duckdb is a folder/, 'a folder');

  // the holder keeps its instance referenced: a collected instance would let go of the file lock
  const holder = `const { DuckDBInstance } = await import('@duckdb/node-api'); const db = await DuckDBInstance.create(process.argv[1]); const c = await db.connect(); await c.run('CREATE TABLE IF NOT EXISTS other (a INTEGER)'); globalThis.held = [db, c]; console.log('ready'); setTimeout(() => { globalThis.held.length; process.exit(0); }, 60000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', holder, join(cwd, 'held.duckdb')], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => (d.toString().includes('ready') ? resolve() : undefined));
      child.on('exit', () => reject(new Error('the holder exited')));
    });
    expectError(score('held.duckdb'), 1, new RegExp(`held\\.duckdb is open in another process \\(PID ${child.pid}\\)`), 'locked');
  } finally {
    child.kill('SIGKILL');
  }
  expectError(score('held.duckdb'), 1, /held\.duckdb is a DuckDB database but not a codegen-eval scores database \(its tables: other\)/, 'not ours');

  const closed = join(cwd, 'closed');
  mkdirSync(closed);
  chmodSync(closed, 0o555);
  expectError(score('closed/scores.duckdb', asUser), 1, /cannot open the scores database .*closed\/scores\.duckdb/, 'unwritable place');
});

test('training: an oversized model is refused before work; an empty or one-snippet corpus is an error and leaves no folder', () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'one.jsonl'), '{"code":"def f(x):\\n    return x + 1\\n","language":"python"}\n');
  writeFileSync(join(cwd, 'empty.jsonl'), '');
  const train = (...args: string[]) => cli(['train', '--quiet', ...args], cwd);
  expectError(train('--corpus', 'one.jsonl', '--out', 'm1', '--set', 'model.width=1e12'), 2, /'model\.width' must be at most 65536, got 1000000000000/, 'width 1e12');
  expectError(train('--corpus', 'one.jsonl', '--out', 'm2', '--set', 'model.width=60000'), 2, /has 8\.\d+e\+10 parameters: training needs about \d+ GiB .*this machine has/, 'width 60000');
  expectError(train('--corpus', 'empty.jsonl', '--out', 'm3'), 1, /no snippets in empty\.jsonl: the input is empty/, 'empty corpus');
  expectError(train('--corpus', 'one.jsonl', '--out', 'm4', '--set', 'train.maxSteps=2'), 1, /the training split has no complete window of 129 tokens\n\s+hint: train on more code, or set a shorter model\.context/, 'one snippet');
  for (const m of ['m1', 'm2', 'm3', 'm4']) assert.ok(!existsSync(join(cwd, m)), `${m} is not left behind`);
  writeFileSync(join(cwd, 'a-file'), 'mine\n');
  expectError(train('--corpus', 'one.jsonl', '--out', 'a-file'), 1, /--out a-file is a file, not a folder: nothing was changed/, 'train --out a file');
  assert.equal(readFileSync(join(cwd, 'a-file'), 'utf8'), 'mine\n');
});

test('corpora: a binary file named .jsonl.gz, an unreadable file or folder are said; an input that yields nothing is an error', () => {
  const cwd = openToAll(tempDir());
  writeFileSync(join(cwd, 'binary.jsonl.gz'), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256)));
  expectError(cli(['corpus', 'stats', '--corpus', 'binary.jsonl.gz'], cwd), 1, /binary\.jsonl\.gz is named \.gz but does not hold gzip data/, 'binary .gz');
  writeFileSync(join(cwd, 'binary.jsonl'), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0xc3, 0x28, 0x0a]));
  expectError(cli(['testbed', 'build', '--corpus', 'binary.jsonl', '--intervention', 'rename-identifiers', '--out', 'tb'], cwd), 1, /no snippets in binary\.jsonl: every record was skipped \(2 invalid-utf8\)/, 'binary .jsonl');
  assert.ok(!existsSync(join(cwd, 'tb')));

  const record = '{"code":"def f(x):\\n    return x + 1\\n","language":"python"}\n';
  writeFileSync(join(cwd, 'secret.jsonl'), record);
  chmodSync(join(cwd, 'secret.jsonl'), 0o000);
  expectError(cli(['corpus', 'stats', '--corpus', 'secret.jsonl'], cwd, asUser), 1, /cannot read secret\.jsonl: permission denied/, 'unreadable JSONL');

  const tree = join(cwd, 'tree');
  mkdirSync(join(tree, 'open'), { recursive: true });
  mkdirSync(join(tree, 'closed'));
  writeFileSync(join(tree, 'open', 'a.py'), 'def f(x):\n    return x + 1\n');
  writeFileSync(join(tree, 'open', 'b.py'), 'def g(x):\n    return x * 2\n');
  writeFileSync(join(tree, 'closed', 'c.py'), 'def h(x):\n    return x\n');
  chmodSync(join(tree, 'open', 'b.py'), 0o000);
  chmodSync(join(tree, 'closed'), 0o000);
  chmodSync(tree, 0o755);
  chmodSync(join(tree, 'open'), 0o755);
  chmodSync(join(tree, 'open', 'a.py'), 0o644);
  const stats = cli(['corpus', 'stats', '--corpus', 'tree'], cwd, asUser);
  assert.equal(stats.code, 0, stats.stderr);
  assert.match(stats.stderr, /closed: skipped \(unreadable-folder\): the folder cannot be listed \(EACCES\)/);
  assert.match(stats.stderr, /open\/b\.py: skipped \(unreadable-file\): the file cannot be read \(EACCES\)/);
  assert.doesNotMatch(stats.stderr, /invalid-utf8/);
});

test('testbed build into a folder that cannot be written, or under a file: an error before any work', () => {
  const cwd = openToAll(tempDir());
  writeFileSync(join(cwd, 'c.jsonl'), '{"code":"def f(x):\\n    # add one\\n    return x + 1\\n","language":"python"}\n');
  chmodSync(join(cwd, 'c.jsonl'), 0o644);
  const closed = join(cwd, 'closed');
  mkdirSync(closed);
  chmodSync(closed, 0o555);
  expectError(cli(['testbed', 'build', '--corpus', 'c.jsonl', '--intervention', 'remove-comments', '--out', 'closed/tb'], cwd, asUser), 1, /--out .*closed\/tb: the folder .*closed is not writable/, 'unwritable');
  expectError(cli(['testbed', 'build', '--corpus', 'c.jsonl', '--intervention', 'remove-comments', '--out', 'c.jsonl/tb'], cwd), 1, /c\.jsonl is a file, so nothing can be written under it/, 'under a file');
});
