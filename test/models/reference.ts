/**
 * The demo GPT's log-softmax at every position of a sequence, recomputed over the whole sequence by
 * TensorFlow.js on the cpu backend (train/models/gpt.ts): the independent reference that generation
 * and serving are checked against.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend, tf } from '../../src/train/backend.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { createModel, type LanguageModel } from '../../src/train/models/index.ts';

const DEMO = fileURLToPath(new URL('../../models/demo', import.meta.url));
let reference: LanguageModel | undefined;

/** logSoftmax rows [position][vocab] of the demo model over `ids` (the caller puts <|endoftext|> first). */
export async function demoLogSoftmax(ids: readonly number[]): Promise<Float32Array[]> {
  if (!reference) {
    await selectBackend('cpu');
    const config = JSON.parse(readFileSync(join(DEMO, 'config.json'), 'utf8'));
    reference = createModel(config.model, 1024, 0);
    await loadCheckpoint(join(DEMO, 'best'), reference.params);
  }
  const flat = tf.tidy(() => tf.logSoftmax(reference!.forward(tf.tensor2d([...ids], [1, ids.length], 'int32'), false, 0)).dataSync() as Float32Array);
  const V = flat.length / ids.length;
  return Array.from({ length: ids.length }, (_, t) => flat.subarray(t * V, (t + 1) * V));
}

export const argmax = (row: Float32Array): number => row.reduce((best, v, i) => (v > row[best] ? i : best), 0);

export function disposeReference(): void {
  for (const v of reference?.params.values() ?? []) v.dispose();
  reference = undefined;
}
