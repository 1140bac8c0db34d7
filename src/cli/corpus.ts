import { Command } from 'commander';
import { readCorpus, resolveCorpus, SkipLog } from '../corpus/index.ts';
import { checkOutputFile } from '../util/outputs.ts';
import { Progress } from '../util/progress.ts';
import { table, toJson } from './format.ts';
import { collect, parseLanguages, parsePositiveInt, type CliIO, splitFromOptions, splitOptions, type SplitCliOptions } from './shared.ts';
import { exportSnippets } from '../corpus/export.ts';

export function corpusCommand(io: CliIO): Command {
  const cmd = new Command('corpus').description('read corpora');
  cmd
    .command('stats')
    .description('stream a corpus and count its snippets by language, with the records skipped and why')
    .requiredOption('--corpus <spec>', 'a .jsonl/.jsonl.gz file, a CodeSearchNet folder, a folder of source files, or a quoted glob')
    .option('--lang <languages>', 'only these languages, comma-separated')
    .option('--partition <names>', 'CodeSearchNet partitions, comma-separated')
    .option('--max-line-bytes <n>', 'skip lines longer than n bytes', parsePositiveInt)
    .option('--max-file-bytes <n>', 'source trees: skip files larger than n bytes (default 1000000)', parsePositiveInt)
    .option('--strict', 'treat a bad record as an error')
    .option('--json', 'print JSON')
    .option('--quiet', 'no progress line')
    .action(async (opts: { corpus: string; lang?: string; partition?: string; maxLineBytes?: number; maxFileBytes?: number; strict?: boolean; json?: boolean; quiet?: boolean }) => {
      const partitions = opts.partition?.split(',').map((s) => s.trim());
      const source = await resolveCorpus(opts.corpus, { partitions });
      const skips = new SkipLog({ strict: opts.strict, warn: (m) => io.err(m) });
      const progress = new Progress({ label: 'corpus', unit: 'B', total: source.totalBytes, quiet: opts.quiet });
      const counts: Record<string, { snippets: number; chars: number }> = {};
      for await (const s of readCorpus(source, skips, {
        languages: opts.lang ? parseLanguages(opts.lang) : undefined,
        partitions,
        maxLineBytes: opts.maxLineBytes,
        maxFileBytes: opts.maxFileBytes,
        onProgress: (done) => progress.update(done),
      })) {
        counts[s.language] ??= { snippets: 0, chars: 0 };
        counts[s.language].snippets++;
        counts[s.language].chars += s.code.length;
      }
      progress.finish();
      const result = { spec: opts.corpus, kind: source.kind, files: source.files.length, bytes: source.totalBytes, languages: counts, skipped: skips.summary() };
      if (opts.json) return io.out(toJson(result));
      io.out(`${opts.corpus}: ${source.kind}, ${source.files.length} files, ${source.totalBytes} bytes`);
      io.out(table(['language', 'snippets', 'characters'], Object.entries(counts).map(([l, c]) => [l, c.snippets, c.chars])));
      for (const [reason, n] of Object.entries(result.skipped)) io.out(`skipped ${n}: ${reason}`);
    });
  cmd
    .command('export')
    .description('write the snippets of a corpus to a JSONL (.jsonl.gz) file that any later command can read')
    .requiredOption('--corpus <spec>', 'a .jsonl/.jsonl.gz file, a CodeSearchNet folder, a folder of source files, or a quoted glob')
    .requiredOption('--out <file>', 'the output .jsonl or .jsonl.gz file')
    .option('--lang <languages>', 'only these languages, comma-separated')
    .option('--min-lines <n>', 'source trees: skip units shorter than n lines', parsePositiveInt)
    .option('--max-chars <n>', 'skip snippets longer than n characters', parsePositiveInt)
    .option('--max-file-bytes <n>', 'source trees: skip files larger than n bytes (default 1000000)', parsePositiveInt)
    .option('--set <key=value>', 'a field to add to every record, e.g. license=MIT (repeatable)', collect, [])
    .addOption(splitOptions()[0]).addOption(splitOptions()[1]).addOption(splitOptions()[2]).addOption(splitOptions()[3])
    .option('--strict', 'treat a bad record as an error')
    .option('--quiet', 'no progress line')
    .action(async (opts: { corpus: string; out: string; lang?: string; minLines?: number; maxChars?: number; maxFileBytes?: number; set: string[]; strict?: boolean; quiet?: boolean } & SplitCliOptions) => {
      const split = splitFromOptions(opts);
      checkOutputFile(opts.out, { what: 'corpus export', inputs: [opts.corpus] });
      const source = await resolveCorpus(opts.corpus);
      const skips = new SkipLog({ strict: opts.strict, warn: (m) => io.err(m) });
      const progress = new Progress({ label: 'export', unit: 'B', total: source.totalBytes, quiet: opts.quiet });
      const extra = Object.fromEntries(opts.set.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
      const n = await exportSnippets(readCorpus(source, skips, {
        languages: opts.lang ? parseLanguages(opts.lang) : undefined,
        minLines: opts.minLines,
        maxChars: opts.maxChars,
        maxFileBytes: opts.maxFileBytes,
        split,
        onProgress: (done) => progress.update(done),
      }), opts.out, extra);
      progress.finish();
      io.out(`wrote ${n} snippets to ${opts.out}`);
      for (const [reason, count] of Object.entries(skips.summary())) io.out(`skipped ${count}: ${reason}`);
    });
  return cmd;
}
