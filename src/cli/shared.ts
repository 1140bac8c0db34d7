import { InvalidArgumentError, Option } from 'commander';
import { HF_DTYPES } from '../models/hf.ts';
import { SCORING_BACKENDS } from '../models/builtin.ts';
import { normalizeLanguage, type LanguageId } from '../syntax/languages.ts';
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
