import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCorpus, resolveCorpus, SkipLog } from '../../src/corpus/index.ts';
import { buildTestbed } from '../../src/testbeds/build.ts';
import { UserError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers.ts';

test('a quoted glob of source files yields their functions, named relative to the glob\'s folder', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'pkg'));
  writeFileSync(join(dir, 'pkg', 'a.py'), 'def f(x):\n    return x + 1\n');
  writeFileSync(join(dir, 'pkg', 'b.py'), 'def g(y):\n    return y * 2\n');
  writeFileSync(join(dir, 'pkg', 'c.txt'), 'not code');
  const source = await resolveCorpus(join(dir, 'pkg', '*.py'));
  const ids: string[] = [];
  for await (const s of readCorpus(source, new SkipLog())) ids.push(s.id);
  assert.deepEqual(ids.map((id) => id.replace(/:.*/, '')), ['a.py', 'b.py']);
});

test('a testbed with no rows is an error that says why, and writes nothing', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.py'), 'def f(x):\n    return x + 1\n');
  const out = join(dir, 'testbeds', 'none');
  await assert.rejects(buildTestbed({ corpus: dir, intervention: 'remove-comments', out }), (e: unknown) => e instanceof UserError && /no testbed rows .* 1 snippets read, dropped: 1 no comments or docstrings to remove/.test(e.message));
  assert.equal(existsSync(out), false);
});
