import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { readCorpus, resolveCorpus, SkipLog } from '../corpus/index.ts';
import { CodeTokenizer, saveTokenizer, tokenizerFiles, trainBpe } from '../train/tokenizer.ts';
import { UserError } from '../util/errors.ts';
import { Progress } from '../util/progress.ts';
import { table, toJson } from './format.ts';
import { collect, parseLanguages, parsePositiveInt, type CliIO } from './shared.ts';

export function tokenizerCommand(io: CliIO): Command {
  const cmd = new Command('tokenizer').description('byte-level BPE tokenizers in the Hugging Face format');
  cmd
    .command('train')
    .description('train a byte-level BPE tokenizer on a corpus and save tokenizer.json + tokenizer_config.json')
    .requiredOption('--corpus <spec>', 'a .jsonl/.jsonl.gz file, a CodeSearchNet folder, a folder of source files, or a quoted glob')
    .requiredOption('--out <dir>', 'output folder')
    .option('--vocab-size <n>', 'vocabulary size, special tokens included', parsePositiveInt, 4096)
    .option('--min-frequency <n>', 'stop when no pair occurs this often', parsePositiveInt, 2)
    .option('--special <token>', 'a special token (repeatable; the first is end-of-text, the second padding)', collect, [])
    .option('--lang <languages>', 'only these languages, comma-separated')
    .option('--partition <names>', 'CodeSearchNet partitions, comma-separated (default: train)')
    .option('--quiet', 'no progress line')
    .option('--json', 'print a summary as JSON')
    .action(async (opts: { corpus: string; out: string; vocabSize: number; minFrequency: number; special: string[]; lang?: string; partition?: string; quiet?: boolean; json?: boolean }) => {
      const specials = opts.special.length ? opts.special : ['<|endoftext|>', '<pad>'];
      const partitions = opts.partition ? opts.partition.split(',') : ['train'];
      const source = await resolveCorpus(opts.corpus, { partitions });
      const skips = new SkipLog({ warn: (m) => io.err(m) });
      const progress = new Progress({ label: 'tokenizer', unit: 'B', total: source.totalBytes, quiet: opts.quiet });
      async function* texts() {
        for await (const s of readCorpus(source, skips, { languages: opts.lang ? parseLanguages(opts.lang) : undefined, partitions, onProgress: (d) => progress.update(d, 'counting') })) yield s.code;
      }
      const bpe = await trainBpe(texts(), { vocabSize: opts.vocabSize, minFrequency: opts.minFrequency, specialTokens: specials });
      progress.finish(`${bpe.merges.length} merges`);
      await saveTokenizer(opts.out, tokenizerFiles(bpe));
      const summary = { out: opts.out, vocabSize: bpe.vocab.size, merges: bpe.merges.length, specialTokens: specials, skipped: skips.summary() };
      if (opts.json) return io.out(toJson(summary));
      io.out(`wrote ${opts.out}/tokenizer.json and tokenizer_config.json: ${bpe.vocab.size} tokens (${bpe.merges.length} merges)`);
      if (bpe.vocab.size < opts.vocabSize) io.out(`  the vocabulary stopped at ${bpe.vocab.size}: no pair occurs ${opts.minFrequency} times or more in this corpus`);
    });
  cmd
    .command('encode')
    .description('encode a file (or text) and show each token with its character span')
    .requiredOption('--tokenizer <dir>', 'a folder with tokenizer.json and tokenizer_config.json')
    .argument('<file>', 'a file to encode (- for standard input)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { tokenizer: string; json?: boolean }) => {
      const tokenizer = await CodeTokenizer.load(opts.tokenizer);
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (error) {
        throw new UserError(`cannot read ${file}: ${(error as Error).message}`);
      }
      const { ids, offsets } = tokenizer.encode(text);
      const tokens = ids.map((id, t) => ({ id, start: offsets[2 * t], end: offsets[2 * t + 1], text: text.slice(offsets[2 * t], offsets[2 * t + 1]) }));
      if (opts.json) return io.out(toJson({ tokens }));
      io.out(table(['id', 'start', 'end', 'text'], tokens.map((t) => [t.id, t.start, t.end, JSON.stringify(t.text)])));
    });
  return cmd;
}
