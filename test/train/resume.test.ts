/**
 * What may change on --resume (issue 13): train.maxSteps (extended) and train.maxMinutes; any other
 * setting is refused with a clear message, never silently ignored. train.maxMinutes stops a pilot on a
 * wall-clock budget with a checkpoint to resume from. The run records its training corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTrainConfig } from '../../src/train/config.ts';
import { readTrainingCorpus } from '../../src/train/corpusRecord.ts';
import { train } from '../../src/train/trainer.ts';
import { UserError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers.ts';

const CORPUS = fileURLToPath(new URL('../../testbeds/corpus/default.jsonl.gz', import.meta.url));
const TINY = ['model.type=gru', 'model.context=24', 'model.embedding=16', 'model.units=16', 'tokenizer.vocabSize=300', 'train.batchSize=4', 'train.warmupSteps=2', 'train.evalBatches=1', 'train.evalEvery=4', 'train.checkpointEvery=4', 'train.backend=wasm', 'model.dropout=0'];

test('train --resume: extends maxSteps, refuses other changes, and a wall-clock budget stops with a checkpoint', async () => {
  const out = tempDir();
  const first = [...TINY, 'train.maxSteps=4'];
  const logs: string[] = [];
  await train({ config: loadTrainConfig(undefined, first), overrides: first, corpus: CORPUS, out, quiet: true, log: (m) => logs.push(m) });
  assert.ok(readTrainingCorpus(out)!.snippets > 100, 'the model folder records its training corpus');
  // a changed learning rate on resume is refused, naming the setting
  await assert.rejects(
    train({ config: loadTrainConfig(undefined, [...first, 'train.lr=0.5']), overrides: ['train.lr=0.5'], corpus: CORPUS, out, resume: true, quiet: true }),
    (e: unknown) => e instanceof UserError && /cannot change: train\.lr/.test(e.message),
  );
  // more steps are allowed
  const extended = await train({ config: loadTrainConfig(undefined, ['train.maxSteps=8']), overrides: ['train.maxSteps=8'], corpus: CORPUS, out, resume: true, quiet: true, log: (m) => logs.push(m) });
  assert.equal(extended.steps, 8);
  assert.ok(logs.some((m) => /resume: train\.maxSteps 4 -> 8/.test(m)), logs.join('\n'));
  // a budget of 0 minutes stops after the first step, with a checkpoint
  const pilot = tempDir();
  const budget = [...TINY, 'train.maxSteps=100', 'train.maxMinutes=0'];
  const stopped = await train({ config: loadTrainConfig(undefined, budget), overrides: budget, corpus: CORPUS, out: pilot, quiet: true, log: (m) => logs.push(m) });
  assert.equal(stopped.steps, 1);
  assert.ok(existsSync(join(pilot, 'checkpoints', 'step-00000001', 'state.json')));
  assert.ok(logs.some((m) => /wall-clock budget train\.maxMinutes = 0 is spent/.test(m)));
});
