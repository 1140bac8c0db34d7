import { Command } from 'commander';
import { readCorpus, resolveCorpus, SkipLog } from '../corpus/index.ts';
import { Progress } from '../util/progress.ts';
import { table, toJson } from './format.ts';
import { parseLanguages, parsePositiveInt, type CliIO } from './shared.ts';

export function corpusCommand(io: CliIO): Command {
  const cmd = new Command('corpus').description('read corpora');
  cmd
    .command('stats')
    .description('stream a corpus and count its snippets by language, with the records skipped and why')
    .requiredOption('--corpus <spec>', 'a .jsonl/.jsonl.gz file, a CodeSearchNet folder, a folder of source files, or a quoted glob')
    .option('--lang <languages>', 'only these languages, comma-separated')
    .option('--partition <names>', 'CodeSearchNet partitions, comma-separated')
    .option('--max-line-bytes <n>', 'skip lines longer than n bytes', parsePositiveInt)
    .option('--strict', 'treat a bad record as an error')
    .option('--json', 'print JSON')
    .option('--quiet', 'no progress line')
    .action(async (opts: { corpus: string; lang?: string; partition?: string; maxLineBytes?: number; strict?: boolean; json?: boolean; quiet?: boolean }) => {
      const partitions = opts.partition?.split(',').map((s) => s.trim());
      const source = await resolveCorpus(opts.corpus, { partitions });
      const skips = new SkipLog({ strict: opts.strict, warn: (m) => io.err(m) });
      const progress = new Progress({ label: 'corpus', unit: 'B', total: source.totalBytes, quiet: opts.quiet });
      const counts: Record<string, { snippets: number; chars: number }> = {};
      for await (const s of readCorpus(source, skips, {
        languages: opts.lang ? parseLanguages(opts.lang) : undefined,
        partitions,
        maxLineBytes: opts.maxLineBytes,
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
  return cmd;
}
