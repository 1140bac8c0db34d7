import { InvalidArgumentError, Option } from 'commander';
import { checkSplit, parseSplitParts, type CorpusSplit } from '../corpus/select.ts';
import { HF_DTYPES } from '../models/hf.ts';
import { SCORING_BACKENDS } from '../models/builtin.ts';
import { normalizeLanguage, type LanguageId } from '../languages/languages.ts';
import { UsageError } from '../util/errors.ts';

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  stderrIsTTY: boolean;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

export function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

export function parseLanguages(value: string): LanguageId[] {
  return value.split(',').map((s) => {
    const id = normalizeLanguage(s);
    if (!id) throw new UsageError(`'${s}' is not a language: use python, java, javascript, go, php or ruby`);
    return id;
  });
}

/** --backend for the commands that score (score, report, gate, serve). */
export function backendOption(): Option {
  return new Option('--backend <name>', 'where builtin models run: onnx (onnxruntime-node) or a TensorFlow.js backend; auto takes onnx when it loads').choices([...SCORING_BACKENDS]);
}

/** --dtype for the commands that score (hf: models: which onnx/model*.onnx file). */
export function dtypeOption(): Option {
  return new Option('--dtype <dtype>', 'hf: the weights file, as transformers.js names them: fp32 (model.onnx), fp16 (model_fp16.onnx), q8 (model_quantized.onnx), q4 (model_q4.onnx)').choices(Object.keys(HF_DTYPES)).default('fp32');
}

/** --concurrency for the commands that score remote (openai:) models. */
export function concurrencyOption(): Option {
  return new Option('--concurrency <n>', 'openai: requests in flight').argParser(parsePositiveInt).default(4);
}

/** --timeout and --retries for the commands that score remote (openai:, tgi:) models. */
export function remoteOptions(): Option[] {
  return [
    new Option('--timeout <seconds>', 'openai, tgi: seconds to wait for one answer before retrying').argParser((v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || n > 86_400) throw new UsageError(`--timeout must be a number of seconds in (0, 86400], got '${v}'`);
      return n;
    }).default(120),
    new Option('--retries <n>', 'openai, tgi: attempts after the first on a timeout, 429, 5xx or network error (exponential backoff)').argParser((v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 100) throw new UsageError(`--retries must be a whole number from 0 to 100, got '${v}'`);
      return n;
    }).default(5),
  ];
}

/** The split options shared by `testbed build` and `corpus export`. */
export function splitOptions(): Option[] {
  return [
    new Option('--split <parts>', 'split the corpus by file or repository into named parts, e.g. train=0.8,test=0.2 (with --take)'),
    new Option('--split-by <unit>', 'what a split keeps together').choices(['file', 'repo']).default('file'),
    new Option('--take <part>', 'the part of --split to read'),
    new Option('--split-seed <n>', 'seed of the split (the same seed gives the same parts in every command)').argParser(parseInteger).default(0),
  ];
}

export interface SplitCliOptions { split?: string; splitBy: 'file' | 'repo'; take?: string; splitSeed: number }

export function splitFromOptions(opts: SplitCliOptions): CorpusSplit | undefined {
  if (opts.split === undefined && opts.take === undefined) return undefined;
  if (opts.split === undefined || opts.take === undefined) throw new UsageError('--split and --take go together', 'e.g. --split train=0.8,test=0.2 --take test');
  const split: CorpusSplit = { by: opts.splitBy, parts: parseSplitParts(opts.split), take: opts.take, seed: opts.splitSeed };
  checkSplit(split);
  return split;
}
