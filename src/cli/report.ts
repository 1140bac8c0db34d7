import { Command, Option } from 'commander';
import { buildReport } from '../report/build.ts';
import { DEFAULT_DB } from '../score/store.ts';
import { BACKENDS, type BackendName } from '../train/backend.ts';
import { toJson } from './format.ts';
import { parseInteger, parsePositiveInt, type CliIO } from './shared.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function reportCommand(io: CliIO): Command {
  return new Command('report')
    .description('score the testbeds with one or more models and write a paper-ready report (HTML, PDF, LaTeX, JSON)')
    .requiredOption('--model <spec>', 'a model spec (see `codegen-eval score --help`) or `demo`; repeat it to compare models', collect, [])
    .option('--testbed <dir>', 'a testbed folder or name (repeatable; default: the testbeds of conf/testbeds.conf)', collect, [])
    .option('--out <dir>', 'the report folder (default: reports/<model names>)')
    .option('--db <file>', 'the scores database; runs already scored there are reused', DEFAULT_DB)
    .option('--no-pdf', 'skip the PDF (no browser needed)')
    .option('--title <text>', 'the report title')
    .option('--seed <n>', 'bootstrap seed', parseInteger, 0)
    .option('--bootstrap <n>', 'bootstrap replicates', parsePositiveInt, 1000)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend for builtin models').choices([...BACKENDS]))
    .option('--concurrency <n>', 'openai: requests in flight', parsePositiveInt, 4)
    .option('--quiet', 'no progress lines')
    .option('--json', 'print a summary as JSON')
    .action(async (opts: { model: string[]; testbed: string[]; out?: string; db: string; pdf: boolean; title?: string; seed: number; bootstrap: number; backend?: BackendName; concurrency: number; quiet?: boolean; json?: boolean }) => {
      const name = opts.model.map((m) => m.replace(/^[a-z]+:/, '').split(/[\\/#]/).filter(Boolean).pop() ?? 'model').join('-vs-');
      const result = await buildReport({
        models: opts.model, testbeds: opts.testbed, out: opts.out ?? `reports/${name}`, db: opts.db, pdf: opts.pdf, title: opts.title,
        seed: opts.seed, bootstrapReplicates: opts.bootstrap, modelOptions: { backend: opts.backend, concurrency: opts.concurrency }, quiet: opts.quiet,
        log: opts.quiet ? undefined : (m) => io.err(m),
      });
      if (opts.json) return io.out(toJson({ out: result.out, files: result.files, warnings: result.warnings }));
      for (const w of result.warnings) io.err(`warning: ${w}`);
      io.out(`report in ${result.out}:`);
      for (const file of result.files) io.out(`  ${file}`);
    });
}
