import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHocon, readHoconFile } from '../../src/util/hocon.ts';
import { ConfigError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers.ts';

test('hocon: objects, paths, arrays, numbers, booleans, comments, concatenation', () => {
  const { value } = parseHocon(`
    # comment
    model { layers = 2, units: 512 }   // trailing comment
    model.dropout = 0.1
    train {
      lr = 3e-4
      schedule = cosine
      name = my model v2
      tags = [a, "b c", 3]
      enabled = true
      nothing = null
    }
    text = """multi
line"""
  `);
  assert.deepEqual(value.model, { layers: 2, units: 512, dropout: 0.1 });
  const train = value.train as Record<string, unknown>;
  assert.equal(train.lr, 3e-4);
  assert.equal(typeof train.lr, 'number');
  assert.equal(train.schedule, 'cosine');
  assert.equal(train.name, 'my model v2');
  assert.deepEqual(train.tags, ['a', 'b c', 3]);
  assert.equal(train.enabled, true);
  assert.equal(train.nothing, null);
  assert.equal(value.text, 'multi\nline');
});

test('hocon: object merging, substitutions, self-reference and +=', () => {
  const { value } = parseHocon(`
    base { a = 1, b = 2 }
    base { b = 3, c = 4 }
    size = 64
    width = \${size}
    path = [x]
    path = \${path} [y]
    list += 1
    list += 2
    maybe = \${?NOT_DEFINED_ANYWHERE}
    home = \${CGE_TEST_ENV}
  `, 'x.conf', { CGE_TEST_ENV: '/h' });
  assert.deepEqual(value.base, { a: 1, b: 3, c: 4 });
  assert.equal(value.width, 64);
  assert.deepEqual(value.path, ['x', 'y']);
  assert.deepEqual(value.list, [1, 2]);
  assert.equal('maybe' in value, false);
  assert.equal(value.home, '/h');
});

test('hocon: includes are relative to the including file; url() includes are refused', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'base.conf'), 'train { lr = 0.1, steps = 10 }\n');
  writeFileSync(join(dir, 'main.conf'), 'include "base.conf"\ntrain.steps = 20\n');
  const { value } = readHoconFile(join(dir, 'main.conf'));
  assert.deepEqual(value.train, { lr: 0.1, steps: 20 });
  writeFileSync(join(dir, 'remote.conf'), 'include url("http://example.invalid/x.conf")\n');
  assert.throws(() => readHoconFile(join(dir, 'remote.conf')), /refused/);
});

test('hocon: errors name the file, line and column', () => {
  const cases: [string, RegExp][] = [
    ['a = {\n  b = 1\n', /x\.conf:3:1: missing '\}' to close the object opened at line 1/],
    ['a = "open\n', /x\.conf:1:5: unterminated string/],
    ['a = ${missing.key}\n', /x\.conf:1:5: \$\{missing\.key\} is not defined/],
    ['a = 1\nb = ]\n', /x\.conf:2:5: expected a value, found '\]'/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseHocon(text, 'x.conf', {}), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError for ${JSON.stringify(text)}`);
      assert.match(error.message, pattern);
      return true;
    });
  }
});

test('hocon: origins point at each value', () => {
  const { origins } = parseHocon('a {\n  b = 1\n  c = [x, y]\n}\n', 'o.conf');
  assert.deepEqual(origins.get('a.b'), { file: 'o.conf', line: 2, column: 7 });
  assert.deepEqual(origins.get('a.c[1]'), { file: 'o.conf', line: 3, column: 11 });
});
