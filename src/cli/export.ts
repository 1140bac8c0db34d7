import { Command, Option } from 'commander';
import { exportGptToOnnx } from '../models/onnx/exportGpt.ts';
import { toJson } from './format.ts';
import type { CliIO } from './shared.ts';

export function exportCommand(io: CliIO): Command {
  return new Command('export')
    .description('export a built-in GPT as an ONNX model in the Hugging Face layout (score it with hf:DIR)')
    .requiredOption('--model <spec>', 'builtin:DIR, a model folder written by codegen-eval train')
    .addOption(new Option('--format <format>', 'output format').choices(['onnx']).default('onnx'))
    .requiredOption('--out <dir>', 'output folder (config.json, tokenizer files, onnx/model.onnx)')
    .option('--portable', 'standard ONNX operators only (any ONNX runtime); by default GELU uses onnxruntime\'s fused com.microsoft FastGelu')
    .option('--external-data', 'weights in onnx/model.onnx_data beside the graph (the layout Optimum writes above 2 GB)')
    .option('--json', 'print a summary as JSON')
    .action(async (opts: { model: string; out: string; portable?: boolean; externalData?: boolean; json?: boolean }) => {
      const result = await exportGptToOnnx(opts.model, opts.out, { portable: opts.portable, externalData: opts.externalData });
      if (opts.json) return io.out(toJson(result));
      io.out(`wrote ${result.dir}/onnx/model.onnx (${result.parameters.toLocaleString('en')} parameters, ${(result.bytes / 1e6).toFixed(1)} MB) with config.json and tokenizer files; score it with --model hf:${result.dir}`);
    });
}
