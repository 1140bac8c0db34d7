// The PDF needs no system browser: findBrowser's order, and the README's main job printing report.pdf
// with the npm-bundled Chromium when no system Chromium is on PATH or in the usual places.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledChromium, findBrowser, SYSTEM_BROWSERS } from '../../src/report/browser.ts';
import { UserError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

function withEnv<T>(values: Record<string, string | undefined>, body: () => T): T {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(values)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  try { return body(); } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

test('findBrowser: the variables first, then system paths, then PATH, then the npm-bundled build', () => {
  const dir = tempDir('cge-browser-');
  const notExecutable = join(dir, 'chromium-text');
  writeFileSync(notExecutable, 'not a program');
  const onPath = join(dir, 'bin');
  mkdirSync(onPath);
  writeFileSync(join(onPath, 'chromium'), '#!/bin/sh\n');
  chmodSync(join(onPath, 'chromium'), 0o755);
  const clear = { CODEGEN_EVAL_CHROMIUM: undefined, PUPPETEER_EXECUTABLE_PATH: undefined };
  withEnv(clear, () => {
    // a device (what a bind mount of /dev/null leaves) or a plain file is not a browser
    assert.deepEqual(findBrowser({ systemBrowsers: ['/dev/null', notExecutable], searchPath: onPath }), { kind: 'executable', path: join(onPath, 'chromium'), from: 'PATH' });
    assert.deepEqual(findBrowser({ systemBrowsers: [join(onPath, 'chromium')], searchPath: '' }), { kind: 'executable', path: join(onPath, 'chromium'), from: 'system' });
    assert.equal(findBrowser({ systemBrowsers: [], searchPath: '', bundled: false }), null);
    const bundled = findBrowser({ systemBrowsers: [], searchPath: '' });
    if (onLinuxX64) {
      assert.equal(bundled?.kind, 'bundled', 'npm install puts @sparticuz/chromium (an optional dependency) in node_modules');
      assert.equal(bundled?.kind === 'bundled' && bundled.version, '143.0.4');
    }
  });
  withEnv({ ...clear, CODEGEN_EVAL_CHROMIUM: join(dir, 'missing') }, () => {
    assert.throws(() => findBrowser(), (e: unknown) => e instanceof UserError && /CODEGEN_EVAL_CHROMIUM names .*missing, which is not an executable file/.test(e.message));
  });
  withEnv({ ...clear, PUPPETEER_EXECUTABLE_PATH: notExecutable }, () => {
    assert.throws(() => findBrowser(), /PUPPETEER_EXECUTABLE_PATH names/);
  });
  withEnv({ ...clear, CODEGEN_EVAL_CHROMIUM: 'bundled', PUPPETEER_EXECUTABLE_PATH: join(onPath, 'chromium') }, () => {
    if (onLinuxX64) assert.equal(findBrowser()?.kind, 'bundled');
  });
});

/**
 * Run `command` with every system browser hidden: in a private mount namespace (root, util-linux's
 * unshare), /dev/null is bound over each one, so the program sees a device where the browser was.
 */
function hidingSystemBrowsers(): { prefix: string[]; hidden: string[] } | null {
  const candidates = [...SYSTEM_BROWSERS, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).flatMap((d) => ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'].map((n) => join(d, n)))];
  const present = [...new Set(candidates.filter((p) => existsSync(p)))];
  if (present.length === 0) return { prefix: [], hidden: [] };
  if (process.getuid?.() !== 0 || spawnSync('unshare', ['-m', 'true']).status !== 0) return null;
  const mounts = present.map((p) => `mount --bind /dev/null '${p}'`).join(' && ');
  return { prefix: ['unshare', '-m', 'sh', '-c', `${mounts} && exec "$@"`, 'sh'], hidden: present };
}

test('with no system Chromium, the main job `report --model demo` writes report.pdf with the npm-bundled one', () => {
  // the bundled build exists for Linux x64 only: elsewhere a user's run says so, and CI (which must check this) fails
  if (!onLinuxX64) {
    assert.ok(process.env.CI !== 'true', `the npm-bundled Chromium is built for Linux x64 only; this is ${process.platform} ${process.arch} under CI=true`);
    console.warn('PART NOT CHECKED: the npm-bundled Chromium is built for Linux x64 only');
    return;
  }
  assert.ok(bundledChromium(), 'npm install puts @sparticuz/chromium in node_modules');
  const dir = tempDir('cge-bundled-');
  const hiding = hidingSystemBrowsers();
  // without root's mount namespace the system browser stays visible; the bundled one is then asked for by name
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache'), ...(hiding ? {} : { CODEGEN_EVAL_CHROMIUM: 'bundled' }) };
  delete env.PUPPETEER_EXECUTABLE_PATH;
  if (hiding) delete env.CODEGEN_EVAL_CHROMIUM;
  const args = [process.execPath, BIN, 'report', '--model', 'demo', '--out', join(dir, 'report'), '--db', join(dir, 'scores.duckdb')];
  const [command, ...rest] = hiding?.prefix.length ? [...hiding.prefix, ...args] : args;
  const result = spawnSync(command, rest, { cwd: ROOT, env, encoding: 'utf8', timeout: 300_000 });
  assert.equal(result.status, 0, result.stderr);
  if (hiding?.hidden.length) assert.ok(!result.stderr.includes('no Chromium found'), result.stderr);
  assert.match(result.stderr, /printing the PDF with Chromium \(the npm-bundled 143\.0\.4\)/);
  assert.match(result.stderr, /unpacking the npm-bundled Chromium 143\.0\.4 into .*cache.codegen-eval.chromium-143\.0\.4/);
  const pdf = join(dir, 'report', 'report.pdf');
  assert.ok(existsSync(pdf), `report.pdf written (${readdirSync(join(dir, 'report')).join(', ')})`);
  const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' });
  const fonts = spawnSync('pdffonts', [pdf], { encoding: 'utf8' });
  if (info.error || fonts.error) {
    assert.ok(process.env.CI !== 'true', 'pdfinfo/pdffonts (poppler-utils) are missing under CI=true');
    console.warn('PART NOT CHECKED: pdfinfo/pdffonts missing (apt install poppler-utils)');
    return;
  }
  assert.ok(Number(/Pages:\s+(\d+)/.exec(info.stdout)?.[1]) >= 10, info.stdout);
  assert.match(info.stdout, /Producer:\s+Skia\/PDF/);
  // the text is set in the fonts that ship with the package, on every machine
  const families = new Set([...fonts.stdout.matchAll(/^[A-Z]{6}\+(\S+)/gm)].map((m) => m[1]));
  assert.deepEqual([...families].sort(), ['Arimo-Bold', 'Arimo-Regular', 'Cousine-Regular']);
  // the unpacked browser is reused: a second run unpacks nothing
  const again = spawnSync(command, rest.map((a) => (a === join(dir, 'report') ? join(dir, 'report2') : a)), { cwd: ROOT, env, encoding: 'utf8', timeout: 300_000 });
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /unpacking/);
  assert.ok(existsSync(join(dir, 'report2', 'report.pdf')));
});
