/**
 * `codegen-eval gate` with a cached baseline on a 1,000-snippet testbed (500 rename-identifiers pairs
 * from the default corpus): the baseline (demo GPT) is scored beforehand; each timed run is the CLI
 * as CI runs it, scoring a candidate whose scores are also cached (so the figure is the gate's own
 * cost), then the same with the candidate scored from scratch (demo GRU). No external tool makes
 * this decision, so no anchor; the issue sets no target.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/util/paths.ts';
import { bestOf, printTable, scoredThousandSnippets } from './common.ts';

export async function benchGate(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cge-bench-gate-'));
  try {
    const { testbed, db, rows } = await scoredThousandSnippets(dir);
    const bin = packagePath('bin', 'codegen-eval.mjs');
    const run = (candidate: string, database: string) => {
      const child = spawnSync(process.execPath, [bin, 'gate', '--baseline', 'demo', '--candidate', candidate, '--testbed', testbed, '--db', database, '--quiet', '--json'], { encoding: 'utf8' });
      if (child.status !== 0 && child.status !== 1) throw new Error(`gate failed: ${child.stderr}`);
    };
    const cached = await bestOf(3, () => run('demo', db));
    const fresh = await bestOf(1, () => {
      const copy = join(dir, 'fresh.duckdb');
      rmSync(copy, { force: true });
      copyFileSync(db, copy); // the baseline cached, the candidate not
      run('demo-gru', copy);
    });
    printTable(`gate on ${rows} snippets, cached baseline (seconds)`, ['what', 'seconds'], [
      ['gate, candidate scores cached too (the decision itself)', cached.toFixed(2)],
      ['gate, candidate (demo GRU) scored in the run', fresh.toFixed(2)],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
