import { Command } from 'commander';
import { openModel } from '../models/index.ts';
import { scoreTestbed } from '../score/score.ts';
import { DEFAULT_DB, ScoreStore } from '../score/store.ts';
import type { ScoringBackend } from '../models/builtin.ts';
import type { HfDtype } from '../models/hf.ts';
import { toJson } from './format.ts';
import { parsePositiveInt, backendOption, dtypeOption, concurrencyOption, remoteOptions, type CliIO } from './shared.ts';

const MODEL_HELP = `model spec:
  builtin:DIR        a model folder written by codegen-eval train (or builtin:NAME for models/NAME);
                     runs on onnxruntime-node (its ONNX graph, built in memory) unless --backend names
                     a TensorFlow.js backend
  hf:DIR             a local Hugging Face folder with ONNX weights (config.json, tokenizer.json,
                     tokenizer_config.json, onnx/model.onnx), run by @huggingface/transformers
  openai:URL#MODEL   an OpenAI-compatible completions server that gives prompt log-probs (vLLM, OpenAI's
                     legacy completions, codegen-eval serve; not llama.cpp's server), asked with echo +
                     logprobs; API key from $OPENAI_API_KEY (or --api-key-env)
  tgi:URL            a Hugging Face text-generation-inference server, through its native /generate
                     with decoder_input_details (its OpenAI routes give no prompt log-probs)
  logprobs:FILE      log-probs computed elsewhere: JSONL, one record per testbed row:
                     {"id", "tokens", "offsets": [[start, end], ...], "logprobs", "offset_unit"?}`;

export function scoreCommand(io: CliIO): Command {
  return new Command('score')
    .description('score a testbed with a model: per-token log-probs aligned to concepts, stored in DuckDB (resumable)')
    .requiredOption('--model <spec>', 'the model (see below)')
    .requiredOption('--testbed <dir>', 'a testbed folder or name')
    .option('--out <db>', `the scores database (DuckDB file)`, DEFAULT_DB)
    .addOption(backendOption())
    .addOption(dtypeOption())
    .option('--stride <n>', 'builtin: tokens advanced between sliding windows (default: half the context)', parsePositiveInt)
    .addOption(concurrencyOption())
    .addOption(remoteOptions()[0])
    .addOption(remoteOptions()[1])
    .option('--api-key-env <name>', 'openai, tgi: the environment variable holding the API key', 'OPENAI_API_KEY')
    .option('--parquet <dir>', 'also export this run\'s tables to Parquet files in this folder')
    .option('--quiet', 'no progress line')
    .option('--json', 'print a summary as JSON')
    .addHelpText('after', `\n${MODEL_HELP}`)
    .action(async (opts: { model: string; testbed: string; out: string; backend?: ScoringBackend; dtype: HfDtype; stride?: number; concurrency: number; timeout: number; retries: number; apiKeyEnv: string; parquet?: string; quiet?: boolean; json?: boolean }) => {
      const model = await openModel(opts.model, { backend: opts.backend, dtype: opts.dtype, stride: opts.stride, concurrency: opts.concurrency, timeoutSeconds: opts.timeout, retries: opts.retries, apiKeyEnv: opts.apiKeyEnv, log: (m) => io.err(m) });
      try {
        const summary = await scoreTestbed({ model, testbed: opts.testbed, db: opts.out, quiet: opts.quiet });
        if (opts.parquet) {
          const { mkdir } = await import('node:fs/promises');
          await mkdir(opts.parquet, { recursive: true });
          const store = await ScoreStore.open(summary.db);
          try {
            for (const table of ['runs', 'snippets', 'snippet_concepts', 'tokens'] as const) await store.exportParquet(table, `${opts.parquet}/${table}.parquet`, summary.runId);
          } finally {
            store.close();
          }
        }
        if (opts.json) return io.out(toJson(summary));
        io.out(`scored ${summary.scoredNow} rows (${summary.alreadyScored} already scored) of ${summary.testbed} with ${summary.model}: ${summary.tokensNow} tokens at ${Math.round(summary.tokensPerSecond)} tokens/s (${summary.tokens} tokens in the run)`);
        io.out(`  run ${summary.runId} in ${summary.db}${opts.parquet ? `; Parquet in ${opts.parquet}` : ''}`);
      } finally {
        await model.dispose();
      }
    });
}
