import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend, tf } from '../../src/train/backend.ts';
import { loadTrainConfig } from '../../src/train/config.ts';
import { readFinalWeights, train } from '../../src/train/trainer.ts';
import { learningRate } from '../../src/train/optimizer.ts';
import { ConfigError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers.ts';

const CORPUS = fileURLToPath(new URL('../../testbeds/corpus/default.jsonl.gz', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/codegen-eval.mjs', import.meta.url));
const TINY = ['model.context=24', 'model.width=32', 'model.layers=1', 'model.heads=2', 'model.embedding=32', 'model.units=32', 'tokenizer.vocabSize=300', 'train.batchSize=8', 'train.warmupSteps=4', 'train.evalBatches=2', 'train.lr=0.01', 'train.backend=wasm', 'model.dropout=0'];

function metrics(dir: string): { step: number; loss?: number; validLoss?: number }[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

for (const type of ['gpt', 'gru'] as const) {
  test(`trainer: a tiny ${type} trains and its loss falls`, async () => {
    const out = tempDir();
    const config = loadTrainConfig(undefined, [...TINY, `model.type=${type}`, 'train.maxSteps=40', 'train.evalEvery=20', 'train.checkpointEvery=20']);
    const summary = await train({ config, corpus: CORPUS, out, quiet: true });
    assert.equal(summary.steps, 40);
    assert.equal(summary.backend, 'wasm');
    const train_ = metrics(out).filter((m) => m.loss !== undefined).map((m) => m.loss!);
    const first = (train_[0] + train_[1] + train_[2]) / 3;
    const last = (train_.at(-1)! + train_.at(-2)! + train_.at(-3)!) / 3;
    assert.ok(last < first - 0.5, `train loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
    assert.ok(summary.bestValidLoss! < Math.log(300) - 0.5, `valid loss ${summary.bestValidLoss} vs uniform ${Math.log(300)}`);
    for (const f of ['config.json', 'model.json', 'tokenizer.json', 'tokenizer_config.json', 'best/weights.bin', 'best/optimizer.bin', 'best/state.json']) assert.ok(existsSync(join(out, f)), f);
  });
}

test('trainer: a run killed with SIGKILL and resumed reaches the weights of an uninterrupted run', async () => {
  const settings = [...TINY, 'model.type=gpt', 'train.maxSteps=16', 'train.evalEvery=8', 'train.checkpointEvery=4', 'train.seed=3'];
  const reference = tempDir();
  await train({ config: loadTrainConfig(undefined, settings), corpus: CORPUS, out: reference, quiet: true });
  const interrupted = tempDir();
  const child = spawn(process.execPath, [BIN, 'train', '--corpus', CORPUS, '--out', interrupted, '--quiet', ...settings.flatMap((s) => ['--set', s])], { stdio: 'ignore' });
  const killed = await new Promise<boolean>((resolve) => {
    const timer = setInterval(() => {
      if (existsSync(join(interrupted, 'checkpoints', 'step-00000004', 'state.json'))) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve(true);
      }
    }, 20);
    child.on('exit', () => {
      clearInterval(timer);
      resolve(false);
    });
  });
  await new Promise((r) => child.once('exit', r).once('error', r));
  assert.ok(killed, 'the run was killed before it finished');
  const summary = await train({ config: loadTrainConfig(undefined, settings), corpus: CORPUS, out: interrupted, resume: true, quiet: true });
  assert.equal(summary.steps, 16);
  const a = await readFinalWeights(reference);
  const b = await readFinalWeights(interrupted);
  assert.equal(a.length, b.length);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  assert.ok(maxDiff < 1e-5, `max weight difference ${maxDiff}`);
  // the metrics log holds each step once
  const steps = metrics(interrupted).filter((m) => m.loss !== undefined).map((m) => m.step);
  assert.deepEqual(steps, Array.from({ length: 16 }, (_, i) => i + 1));
});

test('trainer: resume without a checkpoint, or a fresh run over an existing one, is a clear error', async () => {
  const out = tempDir();
  await assert.rejects(train({ config: loadTrainConfig(undefined, TINY), corpus: CORPUS, out, resume: true, quiet: true }), /nothing to resume/);
});

test('wasm kernels: UnsortedSegmentSum gives the cpu backend\'s result (embedding gradients)', async () => {
  const x = [...Array(5 * 3)].map((_, i) => Math.sin(i) * 3);
  const ids = [2, 0, 2, 4, 1];
  const run = async (backend: 'cpu' | 'wasm') => {
    await selectBackend(backend);
    const out = tf.unsortedSegmentSum(tf.tensor2d(x, [5, 3]), tf.tensor1d(ids, 'int32'), 6);
    const grad = tf.grad((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, tf.tensor1d([0, 2, 2, 3], 'int32')), tf.tensor2d(x.slice(0, 12), [4, 3]))))(tf.ones([5, 3]));
    return [Array.from(out.dataSync()), Array.from(grad.dataSync())];
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  for (let k = 0; k < 2; k++) for (let i = 0; i < cpu[k].length; i++) assert.ok(Math.abs(cpu[k][i] - wasm[k][i]) < 1e-5, `${k}:${i}`);
});

test('train config: defaults, coercion, overrides and errors naming the key and its line', () => {
  const dir = tempDir();
  const file = join(dir, 'run.conf');
  writeFileSync(file, 'include "' + fileURLToPath(new URL('../../conf/gru.conf', import.meta.url)) + '"\ntrain { lr = "0.002", maxSteps = 10 }\n');
  const config = loadTrainConfig(file, ['model.units=64', 'data.languages=python,go']);
  assert.equal(config.model.type, 'gru');
  assert.equal(config.train.lr, 0.002);
  assert.equal(config.model.units, 64);
  assert.deepEqual(config.data.languages, ['python', 'go']);
  assert.equal(config.train.beta2, 0.95); // default
  writeFileSync(file, 'model {\n  type = gpt\n  widht = 64\n}\n');
  assert.throws(() => loadTrainConfig(file), (e: unknown) => e instanceof ConfigError && /run\.conf:3:11: unknown key 'model\.widht'/.test(e.message));
  writeFileSync(file, 'train { batchSize = 2.5 }\n');
  assert.throws(() => loadTrainConfig(file), /run\.conf:1:21: 'train\.batchSize' must be a whole number/);
  writeFileSync(file, 'include url("http://example.invalid/a.conf")\n');
  assert.throws(() => loadTrainConfig(file), /refused/);
  assert.throws(() => loadTrainConfig(undefined, ['train.backend=tpu']), /'train\.backend' must be one of auto, gpu, node, wasm, cpu/);
  // warm-up then cosine to minLr
  const t = { lr: 1, minLr: 0.1, warmupSteps: 10, maxSteps: 110, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, clip: 1 };
  assert.equal(learningRate(0, t), 0.1);
  assert.equal(learningRate(9, t), 1);
  assert.ok(Math.abs(learningRate(60, t) - 0.55) < 1e-12);
  assert.equal(learningRate(200, t), 0.1);
});

test('wasm kernels: the fast BatchMatMul gives the stock kernel\'s and the cpu backend\'s results', async () => {
  const { useStockBatchMatMul } = await import('../../src/train/kernels.ts');
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [7, 3], false, false], [[7, 5], [7, 3], true, false], [[5, 7], [3, 7], false, true], [[7, 5], [3, 7], true, true],
    [[2, 3, 5, 7], [2, 3, 7, 4], false, false], [[2, 3, 7, 5], [2, 3, 4, 7], true, true], [[4, 5, 7], [7, 6], false, false],
    [[5, 7], [3, 7, 2], false, false], [[1, 5, 7], [3, 7, 2], false, false], [[3, 33, 40], [3, 35, 40], false, true],
  ];
  const run = () => cases.map(([sa, sb, ta, tb], k) => {
    const a = tf.tensor(Array.from({ length: sa.reduce((x, y) => x * y) }, (_, i) => Math.sin(i + k)), sa);
    const b = tf.tensor(Array.from({ length: sb.reduce((x, y) => x * y) }, (_, i) => Math.cos(i * 0.7 + k)), sb);
    const out = tf.matMul(a, b, ta, tb);
    return { shape: out.shape, values: Array.from(out.dataSync()) };
  });
  await selectBackend('cpu');
  const cpu = run();
  await selectBackend('wasm');
  const fast = run();
  useStockBatchMatMul(true);
  const stock = run();
  useStockBatchMatMul(false);
  cases.forEach((_, k) => {
    assert.deepEqual(fast[k].shape, cpu[k].shape, `case ${k} shape`);
    assert.deepEqual(stock[k].shape, cpu[k].shape);
    for (let i = 0; i < cpu[k].values.length; i++) {
      assert.ok(Math.abs(fast[k].values[i] - cpu[k].values[i]) < 1e-4, `case ${k}[${i}] vs cpu`);
      assert.ok(Math.abs(fast[k].values[i] - stock[k].values[i]) < 1e-4, `case ${k}[${i}] vs stock`);
    }
  });
});
