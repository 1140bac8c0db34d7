import { Command, Option } from 'commander';
import { BACKENDS } from '../train/backend.ts';
import { loadTrainConfig } from '../train/config.ts';
import { train } from '../train/trainer.ts';
import { toJson } from './format.ts';
import { collect, type CliIO } from './shared.ts';

export function trainCommand(io: CliIO): Command {
  return new Command('train')
    .description('train a GPT, GRU or LSTM language model (and its BPE tokenizer) on a corpus; resumable')
    .requiredOption('--corpus <spec>', 'a .jsonl/.jsonl.gz file, a CodeSearchNet folder, a folder of source files, or a quoted glob')
    .requiredOption('--out <dir>', 'the model folder, e.g. models/NAME')
    .option('--config <file.conf>', 'a HOCON training config (see conf/gpt.conf, conf/gru.conf)')
    .option('--set <key.path=value>', 'override a config value, e.g. --set train.maxSteps=500 (repeatable)', collect, [])
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend (overrides train.backend)').choices([...BACKENDS]))
    .option('--resume', 'continue the run in --out from its newest checkpoint')
    .option('--quiet', 'no progress line')
    .option('--json', 'print a summary as JSON')
    .action(async (opts: { corpus: string; out: string; config?: string; set: string[]; backend?: string; resume?: boolean; quiet?: boolean; json?: boolean }) => {
      const overrides = [...opts.set, ...(opts.backend ? [`train.backend=${opts.backend}`] : [])];
      const config = loadTrainConfig(opts.config, overrides);
      const summary = await train({ config, overrides, corpus: opts.corpus, out: opts.out, resume: opts.resume, quiet: opts.quiet, log: (m) => io.err(m) });
      if (opts.json) return io.out(toJson(summary));
      io.out(`trained ${summary.steps} steps on ${summary.backend} (${Math.round(summary.tokensPerSecond)} tokens/s)${summary.stoppedEarly ? ', stopped early' : ''}; best validation loss ${summary.bestValidLoss?.toFixed(4) ?? '-'} at step ${summary.bestStep ?? '-'}; model in ${summary.out}`);
    });
}
