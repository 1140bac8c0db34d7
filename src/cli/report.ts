import { Command } from 'commander';
import { buildReport, modelDisplayName, type ReportResult } from '../report/build.ts';
import { loadReportConfig } from '../report/config.ts';
import { DEFAULT_DB } from '../score/store.ts';
import type { ScoringBackend } from '../models/builtin.ts';
import type { HfDtype } from '../models/hf.ts';
import { UsageError } from '../util/errors.ts';
import { toJson } from './format.ts';
import { parseInteger, parseLanguages, parsePositiveInt, backendOption, dtypeOption, concurrencyOption, remoteOptions, type CliIO } from './shared.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

interface ReportCliOptions {
  testbed: string[]; name: string[]; lang?: string; concepts?: string; out?: string; db: string; pdf: boolean; config?: string; title?: string; seed?: number; bootstrap?: number;
  backend?: ScoringBackend; dtype: HfDtype; concurrency: number; timeout: number; retries: number; quiet?: boolean; json?: boolean;
}

function withCommonOptions(command: Command): Command {
  return command
    .option('--testbed <dir>', 'a testbed folder or name (repeatable; default: report.testbeds of --config, else conf/testbeds.conf)', collect, [])
    .option('--config <file>', 'report settings (HOCON; see conf/report.conf)')
    .option('--out <dir>', 'the report folder (default: reports/<model names>)')
    .option('--db <file>', 'the scores database; runs already scored there are reused', DEFAULT_DB)
    .option('--no-pdf', 'skip the PDF (no browser needed)')
    .option('--title <text>', 'the report title')
    .option('--lang <languages>', 'only functions of these languages, comma-separated (python,java,javascript,go,php,ruby)')
    .option('--concepts <names>', 'only these concepts, comma-separated (see codegen-eval concepts show)')
    .option('--name <name>', 'a short name for a model in tables and figures, in the order of the models (repeatable; default: its folder or file name)', collect, [])
    .option('--seed <n>', 'bootstrap seed', parseInteger)
    .option('--bootstrap <n>', 'bootstrap replicates', parsePositiveInt)
    .addOption(backendOption())
    .addOption(dtypeOption())
    .addOption(concurrencyOption())
    .addOption(remoteOptions()[0])
    .addOption(remoteOptions()[1])
    .option('--quiet', 'no progress lines')
    .option('--json', 'print a summary as JSON');
}

async function run(io: CliIO, models: string[], opts: ReportCliOptions, architectures?: { name: string; models: string[] }[]): Promise<void> {
  const config = loadReportConfig(opts.config);
  // a name that becomes a path: no separators, never '.' or '..'
  const name = (architectures ? architectures.map((a) => a.name) : opts.name.length ? opts.name : models.map(modelDisplayName)).join('-vs-').replace(/[^\w.-]+/g, '_').replace(/^\.+$/, 'model');
  const result: ReportResult = await buildReport({
    models, names: opts.name.length ? opts.name : undefined,
    languages: opts.lang ? parseLanguages(opts.lang) : undefined, concepts: opts.concepts ? opts.concepts.split(',').map((c) => c.trim()).filter(Boolean) : undefined, architectures, testbeds: opts.testbed.length ? opts.testbed : config.testbeds, out: opts.out ?? `reports/${name}`, db: opts.db, pdf: opts.pdf,
    title: opts.title ?? config.title ?? undefined, seed: opts.seed ?? config.seed, bootstrapReplicates: opts.bootstrap ?? config.bootstrap,
    alpha: config.alpha, caliper: config.caliper, configFile: opts.config, command: ['codegen-eval', ...process.argv.slice(2)],
    modelOptions: { backend: opts.backend, dtype: opts.dtype, concurrency: opts.concurrency, timeoutSeconds: opts.timeout, retries: opts.retries, log: (m) => io.err(m) }, quiet: opts.quiet, log: opts.quiet ? undefined : (m) => io.err(m),
  });
  if (opts.json) return io.out(toJson({ out: result.out, files: result.files, warnings: result.warnings, pdfSkipped: result.pdfSkipped ?? null }));
  for (const w of result.warnings) io.err(`warning: ${w}`);
  if (result.pdfSkipped) io.err(`warning: ${result.pdfSkipped}`);
  io.out(`report in ${result.out}:`);
  for (const file of result.files) io.out(`  ${file}`);
}

export function reportCommand(io: CliIO): Command {
  return withCommonOptions(new Command('report')
    .description('score the testbeds with a model (or several) and write a paper-ready report: HTML, PDF, LaTeX, JSON')
    .requiredOption('--model <spec>', 'a model spec (see `codegen-eval score --help`) or `demo`; repeat it to compare models', collect, []))
    .action(async (opts: ReportCliOptions & { model: string[] }) => run(io, opts.model, opts));
}

export function compareCommand(io: CliIO): Command {
  return withCommonOptions(new Command('compare')
    .description('compare models on the same snippets (the first is the baseline): per concept, paired differences with CIs, Wilcoxon and bootstrap p, BH q; one report')
    .requiredOption('--models <specs...>', 'comma-separated model specs, at least two (builtin:models/gru,builtin:models/gpt); or architectures of several training runs each: gpt=a,b,c gru=d,e,f'))
    .action(async (opts: ReportCliOptions & { models: string[] }) => {
      const { models, architectures } = parseModelGroups(opts.models);
      if ((architectures?.length ?? models.length) < 2) throw new UsageError(`compare needs at least two models, got ${architectures?.length ?? models.length}`, 'pass --models A,B, or --models gpt=a,b gru=c,d for architectures of several runs (or use report --model A for one model)');
      return run(io, models, opts, architectures);
    });
}

/** `A,B` (one run each) or `name=a,b name2=c,d` (architectures of several training runs). */
export function parseModelGroups(args: string[]): { models: string[]; architectures?: { name: string; models: string[] }[] } {
  const grouped = args.filter((a) => /^[^=:/]+=/.test(a));
  if (grouped.length === 0) return { models: args.flatMap((a) => a.split(',')).map((m) => m.trim()).filter(Boolean) };
  if (grouped.length !== args.length) throw new UsageError(`--models mixes architectures (NAME=specs) with plain specs: ${args.filter((a) => !grouped.includes(a)).join(' ')}`, 'write every model as NAME=spec1,spec2,... or none');
  const architectures = args.map((a) => {
    const name = a.slice(0, a.indexOf('='));
    const models = a.slice(a.indexOf('=') + 1).split(',').map((m) => m.trim()).filter(Boolean);
    if (models.length === 0) throw new UsageError(`--models ${a}: no model specs after '${name}='`, 'write NAME=spec1,spec2,...');
    return { name, models };
  });
  const names = architectures.map((x) => x.name);
  const dupName = names.find((n, i) => names.indexOf(n) !== i);
  if (dupName) throw new UsageError(`--models names the architecture '${dupName}' twice`, 'give each architecture one NAME=... with all its runs');
  const all = architectures.flatMap((x) => x.models);
  const dupModel = all.find((m, i) => all.indexOf(m) !== i);
  if (dupModel) throw new UsageError(`--models lists ${dupModel} twice`, 'each training run belongs to one architecture, once');
  return { models: all, architectures };
}
