import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readLines } from '../corpus/lines.ts';
import { codeHash } from '../corpus/select.ts';
import { UserError } from '../util/errors.ts';
import { packagePath } from '../util/paths.ts';
import { TESTBED_FORMAT, type TestbedManifest } from './build.ts';
import type { TestbedRow } from './types.ts';

export interface TestbedHandle {
  dir: string;
  manifest: TestbedManifest;
}

/**
 * Find a testbed by folder or by name: a path that exists, else `testbeds/NAME` in the working
 * directory, else the defaults shipped with codegen-eval.
 */
export function openTestbed(spec: string): TestbedHandle {
  const candidates = [resolve(spec), resolve('testbeds', spec), packagePath('testbeds', spec)];
  const dir = candidates.find((d) => existsSync(join(d, 'manifest.json')));
  if (!dir) {
    throw new UserError(`no testbed at ${spec} (looked for manifest.json in ${candidates.join(', ')})`, {
      hint: 'build one with: codegen-eval testbed build --corpus ... --intervention NAME --out testbeds/NAME',
    });
  }
  const file = join(dir, 'manifest.json');
  let manifest: TestbedManifest;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as TestbedManifest;
  } catch (error) {
    throw new UserError(`${file}: not valid JSON: ${(error as Error).message}`, { hint: 'rebuild the testbed' });
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== TESTBED_FORMAT) throw new UserError(`${file}: format '${String((manifest as { format?: unknown } | null)?.format)}' is not ${TESTBED_FORMAT}`, { hint: 'rebuild the testbed with this version of codegen-eval' });
  if (typeof manifest.counts?.rows !== 'number' || typeof manifest.name !== 'string' || (manifest.design !== 'paired' && manifest.design !== 'observational')) {
    throw new UserError(`${file}: not a complete testbed manifest (name, design and counts.rows are required)`, { hint: 'rebuild the testbed' });
  }
  const rows = join(dir, 'rows.jsonl');
  if (!existsSync(rows)) throw new UserError(`testbed ${dir} has a manifest but no rows.jsonl`, { hint: 'the testbed is incomplete (copied in part?): rebuild it with codegen-eval testbed build' });
  return { dir, manifest };
}

/** A testbed without rows can only give an empty report: refuse it before any work. */
export function refuseEmptyTestbed(testbed: TestbedHandle): void {
  if (testbed.manifest.counts.rows === 0) {
    throw new UserError(`testbed ${testbed.manifest.name} (${testbed.dir}) has no rows`, { hint: 'rebuild it from a corpus with functions of its languages, or leave it out (--testbeds)' });
  }
}

export async function* readTestbedRows(testbed: TestbedHandle): AsyncGenerator<TestbedRow> {
  const file = join(testbed.dir, 'rows.jsonl');
  for await (const event of readLines(file)) {
    if (event.kind !== 'line') throw new UserError(`${file}:${event.line}: unreadable row (${event.kind})`, { hint: 'rebuild the testbed' });
    if (event.text === '') continue;
    try {
      yield JSON.parse(event.text) as TestbedRow;
    } catch (error) {
      throw new UserError(`${file}:${event.line}: not valid JSON: ${(error as Error).message}`, { hint: 'rebuild the testbed' });
    }
  }
}

/**
 * The rows that hold original code, each function once across the testbeds given (in their order):
 * per testbed name, row id -> the function's key. Every paired testbed's control arm is the
 * snippet as it was (unless the control arm is itself edited, as a random-mask control is), and both
 * arms of an observational testbed are original code; the same function sits in many testbeds, and
 * counting it once per testbed would treat copies as independent draws.
 */
export async function originalSnippets(testbeds: readonly TestbedHandle[]): Promise<Map<string, Map<string, string>>> {
  const seen = new Set<string>();
  const out = new Map<string, Map<string, string>>();
  for (const testbed of testbeds) {
    const rows = new Map<string, string>();
    const paired = testbed.manifest.design === 'paired';
    for await (const row of readTestbedRows(testbed)) {
      if (paired && (row.arm !== 'control' || row.meta.masked !== undefined)) continue;
      const key = `${row.language}\u0000${row.pairId ?? row.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.set(row.id, key);
    }
    out.set(testbed.manifest.name, rows);
  }
  return out;
}

/** The code hashes (corpus/select.ts codeHash) of the original functions of the testbeds, each function once. */
export async function originalCodeHashes(testbeds: readonly TestbedHandle[], originals: Map<string, Map<string, string>>): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const testbed of testbeds) {
    const rows = originals.get(testbed.manifest.name);
    if (!rows?.size) continue;
    for await (const row of readTestbedRows(testbed)) {
      const key = rows.get(row.id);
      if (key !== undefined) hashes.set(key, codeHash(row.code));
    }
  }
  return hashes;
}
