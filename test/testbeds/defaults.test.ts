import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlan, readTestbedPlan, DEFAULT_PLAN } from '../../src/testbeds/plan.ts';
import { packagePath } from '../../src/util/paths.ts';
import { ConfigError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers.ts';

test('the shipped default testbeds are exactly what conf/testbeds.conf builds', async () => {
  const plan = readTestbedPlan();
  assert.ok(plan.testbeds.length >= 4);
  const out = tempDir();
  const results = await buildPlan(plan, out);
  for (const r of results) {
    const name = r.manifest.name;
    for (const file of ['rows.jsonl', 'manifest.json']) {
      const shipped = readFileSync(packagePath('testbeds', name, file));
      const rebuilt = readFileSync(join(out, name, file));
      assert.ok(shipped.equals(rebuilt), `testbeds/${name}/${file} differs from a rebuild: run codegen-eval testbed defaults`);
    }
    assert.deepEqual(Object.keys(r.manifest.counts.byLanguage).sort(), ['javascript', 'python']);
  }
});

test('testbed plans: errors name the key and its line', () => {
  const dir = tempDir();
  const file = join(dir, 'plan.conf');
  writeFileSync(file, 'corpus = x.jsonl\ntestbeds {\n  a { intervention = inject-bug, limt = 3 }\n}\n');
  assert.throws(() => readTestbedPlan(file), (e: unknown) => e instanceof ConfigError && /plan\.conf:3:\d+: unknown key 'limt' in testbed 'a'/.test(e.message));
  writeFileSync(file, 'corpus = x.jsonl\ntestbeds { a { intervention = inject-bug, limit = -1 } }\n');
  assert.throws(() => readTestbedPlan(file), /'limit' must be a positive whole number/);
  assert.ok(DEFAULT_PLAN.endsWith('testbeds.conf'));
});
