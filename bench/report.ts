/**
 * `codegen-eval report` with scores cached, on a 1,000-snippet testbed (500 rename-identifiers pairs
 * from the default corpus), demo model: wall time and peak memory of the whole command (a child
 * process, measured by /usr/bin/time where present), and the PDF step alone (one Chromium launch,
 * print, close). Targets from the reports issue: under 10 s, the PDF under 2 s. No external anchor
 * makes sense here; the ratio is against the target.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBrowser, printPdf } from '../src/report/pdf.ts';
import { packagePath } from '../src/util/paths.ts';
import { bestOf, printTable, scoredThousandSnippets } from './common.ts';

export async function benchReport(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cge-bench-report-'));
  try {
    const { testbed, db, rows: snippets, tokens, scoreSeconds } = await scoredThousandSnippets(dir);
    console.log(`scored ${snippets} snippets (${tokens} tokens) with the demo model in ${scoreSeconds.toFixed(1)} s (not part of the figures below)`);

    const bin = packagePath('bin', 'codegen-eval.mjs');
    const args = [bin, 'report', '--model', 'demo', '--testbed', testbed, '--db', db, '--out', join(dir, 'report'), '--quiet'];
    const browser = findBrowser();
    if (!browser) args.push('--no-pdf');
    const timed = existsSync('/usr/bin/time');
    let peakMb = NaN;
    const wall = await bestOf(2, () => {
      const child = timed ? spawnSync('/usr/bin/time', ['-f', 'peak-kb %M', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`report failed: ${child.stderr}`);
      const kb = /peak-kb (\d+)/.exec(child.stderr)?.[1];
      if (kb) peakMb = Number(kb) / 1024;
    });
    const rows: (string | number)[][] = [[`report, ${snippets} snippets, scores cached${browser ? ', with PDF' : ', no browser: --no-pdf'}`, wall.toFixed(2), '10', (wall / 10).toFixed(2), Number.isFinite(peakMb) ? peakMb.toFixed(0) : '-']];
    if (browser) {
      const pdf = await bestOf(3, async () => { await printPdf(join(dir, 'report', 'index.html'), join(dir, 'bench.pdf')); });
      rows.push(['PDF step (launch, print, close)', pdf.toFixed(2), '2', (pdf / 2).toFixed(2), '-']);
    }
    printTable('report (best of runs; ratio = time / target, below 1 meets it)', ['what', 'seconds', 'target s', 'ratio', 'peak MB'], rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
