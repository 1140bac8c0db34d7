import { Command, Option } from 'commander';
import { loadGateConfig, METRICS } from '../gate/config.ts';
import { junit, markdown, terminalTable } from '../gate/format.ts';
import type { GateMetric } from '../gate/gate.ts';
import { runGate } from '../gate/run.ts';
import { buildReport } from '../report/build.ts';
import { DEFAULT_DB } from '../score/store.ts';
import type { ScoringBackend } from '../models/builtin.ts';
import type { HfDtype } from '../models/hf.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { ExitWith, isUserError, UserError, UsageError } from '../util/errors.ts';
import { toJson } from './format.ts';
import { collect, backendOption, dtypeOption, concurrencyOption, remoteOptions, type CliIO } from './shared.ts';

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`expected a number >= 0, got '${value}'`);
  return n;
}

interface GateCliOptions {
  baseline: string; candidate: string; baselineScores?: string; testbed: string[]; margin?: number; metric?: GateMetric; alpha?: number; concepts?: string; config?: string;
  db: string; markdown?: string; junit?: string; json?: boolean; report?: string; backend?: ScoringBackend; dtype: HfDtype; concurrency: number; timeout: number; retries: number; quiet?: boolean;
}

export function gateCommand(io: CliIO): Command {
  return new Command('gate')
    .description('CI gate: exit 1 when the candidate is significantly worse than the baseline on any concept (0: passed, 2: usage or data error)')
    .requiredOption('--baseline <spec>', 'the baseline model (its scores are cached: later gates score only the candidate)')
    .requiredOption('--candidate <spec>', 'the candidate model')
    .option('--baseline-scores <dir>', 'stored baseline scores: a folder from `score --parquet DIR` (or a .parquet file in it); the baseline is not scored')
    .option('--testbed <dir>', 'a testbed folder or name (repeatable; default: gate.testbeds of --config, else conf/testbeds.conf)', collect, [])
    .option('--margin <x>', 'the tolerated regression, in the metric\'s units (default 0.02)', nonNegative)
    .addOption(new Option('--metric <metric>', 'logprob (nats/char), top1, cross-entropy (default logprob)').choices([...METRICS]))
    .option('--alpha <a>', 'significance level on BH q-values (default 0.05)', nonNegative)
    .option('--concepts <list>', "'all' or comma-separated concepts to gate on")
    .option('--config <file>', 'gate rules (HOCON; see conf/gate.conf)')
    .option('--db <file>', 'the scores database', DEFAULT_DB)
    .option('--markdown <file>', 'also write a Markdown summary (e.g. "$GITHUB_STEP_SUMMARY"; appended to when it exists)')
    .option('--junit <file>', 'also write JUnit XML, one test case per concept')
    .option('--json', 'print the result as JSON instead of the table')
    .option('--report <dir>', 'also write the full comparison report (HTML, LaTeX, JSON; no PDF) into this folder')
    .addOption(backendOption())
    .addOption(dtypeOption())
    .addOption(concurrencyOption())
    .addOption(remoteOptions()[0])
    .addOption(remoteOptions()[1])
    .option('--quiet', 'no progress lines')
    .action(async (opts: GateCliOptions) => {
      let result;
      try {
        const { rules, testbeds } = loadGateConfig(opts.config);
        if (opts.margin !== undefined) rules.margin = opts.margin;
        if (opts.metric) rules.metric = opts.metric;
        if (opts.alpha !== undefined) {
          if (!(opts.alpha > 0 && opts.alpha < 1)) throw new UsageError(`--alpha must be between 0 and 1, got ${opts.alpha}`);
          rules.alpha = opts.alpha;
        }
        if (opts.concepts) rules.concepts = opts.concepts === 'all' ? 'all' : opts.concepts.split(',').map((c) => c.trim()).filter(Boolean);
        result = await runGate({
          baseline: opts.baseline, candidate: opts.candidate, baselineScores: opts.baselineScores, testbeds: opts.testbed.length ? opts.testbed : testbeds, db: opts.db, rules,
          modelOptions: { backend: opts.backend, dtype: opts.dtype, concurrency: opts.concurrency, timeoutSeconds: opts.timeout, retries: opts.retries, log: (m) => io.err(m) }, quiet: opts.quiet, log: opts.quiet ? undefined : (m) => io.err(m),
        });
        if (opts.markdown) {
          const { appendFile } = await import('node:fs/promises');
          await appendFile(opts.markdown, markdown(result));
        }
        if (opts.junit) await writeFileAtomic(opts.junit, junit(result));
        if (opts.report) {
          await buildReport({ models: [opts.baseline, opts.candidate], testbeds: result.testbeds, out: opts.report, db: opts.db, pdf: false, quiet: true, alpha: rules.alpha, seed: rules.seed });
        }
      } catch (error) {
        // every problem before a verdict is exit 2, so that 1 always means "regressed"
        if (isUserError(error) && error.exitCode !== 2) throw new UserError(error.message, { hint: error.hint, exitCode: 2 });
        if (!isUserError(error)) throw new UserError(`the gate could not run: ${(error as Error).message}`, { exitCode: 2 });
        throw error;
      }
      io.out(opts.json ? toJson(result) : terminalTable(result));
      if (!result.passed) throw new ExitWith(1);
    });
}
