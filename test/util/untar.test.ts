// untar against archives written by the system's tar (GNU tar here): the same files and modes come
// out; links, paths out of the folder and cut archives are errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { untar } from '../../src/util/untar.ts';
import { tempDir } from '../helpers.ts';

function tar(cwd: string, args: string[]): Buffer {
  const result = spawnSync('tar', args, { cwd });
  assert.ok(!result.error, 'tar is part of every Debian system');
  assert.equal(result.status, 0, String(result.stderr));
  return result.stdout;
}

test('untar extracts what GNU tar and POSIX (ustar, pax) tar wrote, modes included', () => {
  const dir = tempDir('cge-untar-');
  const src = join(dir, 'src');
  const longFolder = 'a-folder-name-long-enough-that-the-path-needs-more-than-one-hundred-bytes-in-the-tar-header';
  mkdirSync(join(src, 'lib', longFolder), { recursive: true });
  writeFileSync(join(src, 'lib', 'libx.so'), Buffer.from([0, 1, 2, 255]));
  writeFileSync(join(src, 'lib', longFolder, 'notes é.txt'), 'hello\n'.repeat(300));
  writeFileSync(join(src, 'empty'), '');
  spawnSync('chmod', ['755', join(src, 'lib', 'libx.so')]);
  for (const format of ['gnu', 'ustar', 'pax']) {
    const out = join(dir, `out-${format}`);
    const files = untar(tar(src, ['--format', format, '-cf', '-', '.']), out).sort();
    assert.deepEqual(files, ['empty', `lib/${longFolder}/notes é.txt`, 'lib/libx.so'], format);
    assert.deepEqual(readFileSync(join(out, 'lib', 'libx.so')), Buffer.from([0, 1, 2, 255]));
    assert.equal(readFileSync(join(out, 'lib', longFolder, 'notes é.txt'), 'utf8'), 'hello\n'.repeat(300));
    assert.equal(statSync(join(out, 'lib', 'libx.so')).mode & 0o777, 0o755, format);
  }
});

test('untar refuses links, paths that leave the folder and a cut archive', () => {
  const dir = tempDir('cge-untar-');
  const src = join(dir, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'file'), 'x'.repeat(2000));
  symlinkSync('file', join(src, 'link'));
  assert.throws(() => untar(tar(src, ['-cf', '-', 'link']), join(dir, 'a')), /'link' is of type '2'/);
  assert.throws(() => untar(tar(src, ['-cf', '-', '--transform', 's,^,../,', '-P', 'file']), join(dir, 'b')), /outside/);
  const whole = tar(src, ['-cf', '-', 'file']);
  assert.throws(() => untar(whole.subarray(0, 1024), join(dir, 'c')), /cut short/);
});
