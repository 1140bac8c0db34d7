import { InvalidArgumentError, Option } from 'commander';
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

/** --concurrency for the commands that score remote (openai:) models. */
export function concurrencyOption(): Option {
  return new Option('--concurrency <n>', 'openai: requests in flight').argParser(parsePositiveInt).default(4);
}
