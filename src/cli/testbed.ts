import { Command } from 'commander';
import { buildTestbed, inspectTestbed, INTERVENTIONS, OBSERVATIONAL_TREATMENTS, openTestbed, parseParamPairs } from '../testbeds/index.ts';
import { Progress } from '../util/progress.ts';
import { packagePath } from '../util/paths.ts';
import { buildPlan, DEFAULT_PLAN, readTestbedPlan } from '../testbeds/plan.ts';
import { fixed, table, toJson } from './format.ts';
import { collect, parseLanguages, parsePositiveInt, parseInteger, type CliIO, splitFromOptions, splitOptions, type SplitCliOptions } from './shared.ts';

export function testbedCommand(io: CliIO): Command {
  const cmd = new Command('testbed').description('build and inspect covariate testbeds');

  cmd
    .command('build')
    .description('make a testbed: control/treated pairs by an intervention, or an observational split')
    .requiredOption('--corpus <spec>', 'a .jsonl/.jsonl.gz file, a CodeSearchNet folder, a folder of source files, or a quoted glob')
    .option('--intervention <name>', 'an intervention (see: codegen-eval testbed list)')
    .option('--treatment <name>', 'an observational treatment (see: codegen-eval testbed list)')
    .option('--param <key=value>', 'a parameter of the intervention or treatment (repeatable)', collect, [])
    .option('--lang <languages>', 'only these languages, comma-separated (python,java,javascript,go,php,ruby)')
    .option('--partition <names>', 'CodeSearchNet partitions to read, comma-separated (train,valid,test)')
    .option('--limit <n>', 'stop after n pairs (or n snippets when observational)', parsePositiveInt)
    .option('--limit-per-lang <n>', 'take at most the first n pairs (or snippets) per language, in corpus order', parsePositiveInt)
    .option('--sample <n>', 'a seeded random sample of n pairs (or snippets) per language (--seed), whatever the corpus order', parsePositiveInt)
    .option('--seed <n>', 'random seed', parseInteger, 0)
    .option('--max-chars <n>', 'skip snippets longer than n characters', parsePositiveInt)
    .option('--min-lines <n>', 'source trees: skip units shorter than n lines', parsePositiveInt)
    .option('--max-line-bytes <n>', 'JSONL: skip lines longer than n bytes', parsePositiveInt)
    .option('--max-file-bytes <n>', 'source trees: skip files larger than n bytes (default 1000000)', parsePositiveInt)
    .option('--concepts <lang=file>', 'a concept taxonomy file for a language (repeatable)', collect, [])
    .addOption(splitOptions()[0]).addOption(splitOptions()[1]).addOption(splitOptions()[2]).addOption(splitOptions()[3])
    .option('--strict', 'treat a bad input record as an error instead of skipping it')
    .requiredOption('--out <dir>', 'output folder, e.g. testbeds/NAME')
    .option('--json', 'print the manifest as JSON')
    .option('--quiet', 'no progress line')
    .action(async (opts: {
      corpus: string; intervention?: string; treatment?: string; param: string[]; lang?: string; partition?: string;
      limit?: number; limitPerLang?: number; sample?: number; seed: number; maxChars?: number; minLines?: number; maxLineBytes?: number; maxFileBytes?: number; concepts: string[];
      strict?: boolean; out: string; json?: boolean; quiet?: boolean;
    } & SplitCliOptions) => {
      const progress = new Progress({ label: 'testbed', unit: 'B', quiet: opts.quiet || !io.stderrIsTTY && opts.json });
      const taxonomies = Object.fromEntries(opts.concepts.map((pair) => {
        const [lang, file] = pair.split('=');
        return [parseLanguages(lang)[0], file];
      }));
      const result = await buildTestbed({
        corpus: opts.corpus,
        out: opts.out,
        intervention: opts.intervention,
        treatment: opts.treatment,
        params: parseParamPairs(opts.param),
        languages: opts.lang ? parseLanguages(opts.lang) : undefined,
        partitions: opts.partition?.split(',').map((s) => s.trim()),
        limit: opts.limit,
        limitPerLanguage: opts.limitPerLang,
        sample: opts.sample,
        split: splitFromOptions(opts),
        seed: opts.seed,
        maxChars: opts.maxChars,
        minLines: opts.minLines,
        maxLineBytes: opts.maxLineBytes,
        maxFileBytes: opts.maxFileBytes,
        strict: opts.strict,
        taxonomies,
        warn: (m) => io.err(m),
        onProgress: (done, total, units) => {
          progress.setTotal(total);
          progress.update(done, `${units} ${opts.intervention ? 'pairs' : 'snippets'}`);
        },
      });
      const m = result.manifest;
      progress.finish(`${m.counts.rows} rows`);
      if (opts.json) return io.out(toJson(m));
      io.out(`wrote ${result.dir}`);
      io.out(`  ${m.treatment.kind} ${m.treatment.name}: ${m.counts.rows} rows (${m.counts.treated} treated, ${m.counts.control} control) from ${m.counts.snippetsRead} snippets`);
      for (const [reason, n] of Object.entries(m.drops)) io.out(`  dropped ${n}: ${reason}`);
      for (const [reason, n] of Object.entries(m.corpusSkips)) io.out(`  skipped input ${n}: ${reason}`);
    });

  cmd
    .command('inspect')
    .description('counts, covariate summaries and covariate balance between arms')
    .argument('<testbed>', 'a testbed folder or name')
    .option('--json', 'print JSON')
    .action(async (spec: string, opts: { json?: boolean }) => {
      const report = await inspectTestbed(openTestbed(spec));
      if (opts.json) return io.out(toJson(report));
      const m = report.manifest;
      io.out(`${report.name} (${report.dir})`);
      io.out(`  ${m.design} design, ${m.treatment.kind} '${m.treatment.name}' ${JSON.stringify(m.treatment.params)}`);
      io.out(`  source ${m.source.spec} (${m.source.kind}, ${m.source.files} files, sha256 ${m.source.sha256.slice(0, 12)})`);
      io.out(`  rows ${report.rows}: ${report.arms.treated} treated, ${report.arms.control} control`);
      for (const [lang, c] of Object.entries(report.byLanguage)) io.out(`    ${lang}: ${c.treated} treated, ${c.control} control`);
      for (const [reason, n] of Object.entries(m.drops)) io.out(`  dropped ${n}: ${reason}`);
      for (const [reason, n] of Object.entries(m.corpusSkips)) io.out(`  skipped input ${n}: ${reason}`);
      io.out('');
      const paired = m.design === 'paired';
      io.out(table(
        ['covariate', 'treated mean', 'sd', 'control mean', 'sd', 'SMD', 'var ratio', ...(paired ? ['paired diff'] : [])],
        report.covariates.map((c) => [c.covariate, fixed(c.treated.mean, 2), fixed(c.treated.sd, 2), fixed(c.control.mean, 2), fixed(c.control.sd, 2), fixed(c.smd), fixed(c.varianceRatio, 2), ...(paired ? [fixed(c.meanPairedDifference, 2)] : [])]),
      ));
    });

  cmd
    .command('defaults')
    .description('build the testbeds of a plan (default: conf/testbeds.conf, the testbeds shipped in testbeds/)')
    .option('--plan <file.conf>', 'a testbed plan', DEFAULT_PLAN)
    .option('--out <dir>', 'where the testbeds go (default: beside the plan\'s corpus for the shipped plan, else ./testbeds)')
    .option('--only <names>', 'only these testbeds, comma-separated')
    .option('--json', 'print the manifests as JSON')
    .action(async (opts: { plan: string; out?: string; only?: string; json?: boolean }) => {
      const plan = readTestbedPlan(opts.plan);
      const out = opts.out ?? (opts.plan === DEFAULT_PLAN ? packagePath('testbeds') : 'testbeds');
      const results = await buildPlan(plan, out, { warn: (m) => io.err(m), only: opts.only?.split(',') });
      if (opts.json) return io.out(toJson(results.map((r) => r.manifest)));
      for (const r of results) io.out(`wrote ${r.dir}: ${r.manifest.counts.rows} rows (${r.manifest.counts.treated} treated, ${r.manifest.counts.control} control)`);
    });

  cmd
    .command('list')
    .description('the interventions and observational treatments, with their parameters')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const describeParams = (ps: readonly { name: string; type: string; default?: unknown; required?: boolean; description: string }[]) =>
        ps.map((p) => `      --param ${p.name}=<${p.type}>${p.required ? ' (required)' : p.default !== undefined ? ` (default ${JSON.stringify(p.default)})` : ''}: ${p.description}`);
      if (opts.json) {
        return io.out(toJson({
          interventions: INTERVENTIONS.map(({ name, description, languages, params, preserves }) => ({ name, description, languages, params, preserves })),
          treatments: OBSERVATIONAL_TREATMENTS.map(({ name, description, languages, params, excludedCovariates }) => ({ name, description, languages, params, excludedCovariates })),
        }));
      }
      io.out('Interventions (--intervention NAME): paired control/treated versions of each snippet');
      for (const i of INTERVENTIONS) {
        io.out(`  ${i.name}: ${i.description} [${i.languages.join(', ')}]`);
        for (const line of describeParams(i.params)) io.out(line);
      }
      io.out('\nObservational treatments (--treatment NAME): a property splits the corpus');
      for (const t of OBSERVATIONAL_TREATMENTS) {
        io.out(`  ${t.name}: ${t.description} [${t.languages.join(', ')}]`);
        for (const line of describeParams(t.params)) io.out(line);
      }
    });
  return cmd;
}
