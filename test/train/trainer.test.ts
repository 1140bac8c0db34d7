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
    assert.match(summary.backend, /^wasm \(matrix products on onnxruntime-node [\d.]+, \d+ threads?\)$/);
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

test('trainer: the threaded wasm backend with XNNPACK products (CODEGEN_EVAL_MATMUL=xnnpack) trains to the weights of the default, and exits', async () => {
  const settings = [...TINY, 'model.type=gru', 'train.maxSteps=8', 'train.evalEvery=8', 'train.checkpointEvery=8', 'train.seed=5'];
  const reference = tempDir();
  await train({ config: loadTrainConfig(undefined, settings), corpus: CORPUS, out: reference, quiet: true });
  const run = (env: Record<string, string>, out: string) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, 'train', '--corpus', CORPUS, '--out', out, '--quiet', ...settings.flatMap((s) => ['--set', s])], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  const threaded = tempDir();
  const done = await run({ CODEGEN_EVAL_MATMUL: 'xnnpack', CODEGEN_EVAL_THREADS: '2' }, threaded);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(JSON.parse(readFileSync(join(threaded, 'model.json'), 'utf8')).backend, 'wasm (XNNPACK, 2 threads)');
  const a = await readFinalWeights(reference);
  const b = await readFinalWeights(threaded);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  assert.ok(maxDiff < 1e-4, `max weight difference ${maxDiff}`);
  const wrong = await run({ CODEGEN_EVAL_MATMUL: 'blas' }, tempDir());
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /CODEGEN_EVAL_MATMUL=blas is not a matrix-product engine/);
  assert.doesNotMatch(wrong.stderr, /\n\s+at /);
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

/**
 * Values of each case under the cpu backend, the fast wasm kernels with their products on onnxruntime
 * (the default) and on XNNPACK, and the stock wasm kernels.
 */
async function onBackends(run: () => number[][]): Promise<{ cpu: number[][]; fast: number[][]; xnnpack: number[][]; stock: number[][] }> {
  const { useStockKernels, currentMatMulEngine, setMatMulEngine } = await import('../../src/train/kernels.ts');
  await selectBackend('cpu');
  const cpu = run();
  await selectBackend('wasm');
  const engine = currentMatMulEngine();
  assert.ok(engine, 'onnxruntime-node computes the wasm backend\'s matrix products');
  const fast = run();
  setMatMulEngine(undefined);
  let xnnpack: number[][];
  try {
    xnnpack = run();
  } finally {
    setMatMulEngine(engine);
  }
  useStockKernels(true);
  try {
    return { cpu, fast, xnnpack, stock: run() };
  } finally {
    useStockKernels(false);
  }
}

/** Each value within `tolerance` times the largest magnitude of its vector (gradients are small). */
function assertClose(actual: number[][], expected: number[][], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((values, k) => {
    assert.equal(values.length, expected[k].length, `${what} case ${k}: length`);
    const scale = Math.max(1e-12, ...expected[k].map(Math.abs));
    values.forEach((v, i) => assert.ok(Math.abs(v - expected[k][i]) <= tolerance * scale, `${what} case ${k}[${i}]: ${v} vs ${expected[k][i]}`));
  });
}

const wave = (shape: number[], k: number) => tf.tensor(Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.sin(i * 0.37 + k) * 2), shape);

test('wasm kernels: the fast BatchMatMul gives the stock kernel\'s and the cpu backend\'s results', async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [7, 3], false, false], [[7, 5], [7, 3], true, false], [[5, 7], [3, 7], false, true], [[7, 5], [3, 7], true, true],
    [[2, 3, 5, 7], [2, 3, 7, 4], false, false], [[2, 3, 7, 5], [2, 3, 4, 7], true, true], [[4, 5, 7], [7, 6], false, false],
    [[5, 7], [3, 7, 2], false, false], [[1, 5, 7], [3, 7, 2], false, false], [[3, 33, 40], [3, 35, 40], false, true],
    [[1024, 6], [1024, 4096], true, false], // large enough for the product to be computed as (b^T a)^T
  ];
  const { cpu, fast, xnnpack, stock } = await onBackends(() => cases.flatMap(([sa, sb, ta, tb], k) => {
    const a = wave(sa, k);
    const b = wave(sb, k + 0.5);
    const out = tf.matMul(a, b, ta, tb);
    // the same data transposed again (a cached copy), and through a reshape of other shape
    const again = tf.matMul(a, b, ta, tb);
    const viaReshape = sb.length === 2 && tb ? tf.matMul(wave([4, sb[0]], k), tf.reshape(b, [sb[1], sb[0]]), false, true) : out;
    return [[...out.shape], Array.from(out.dataSync()), Array.from(again.dataSync()), Array.from(viaReshape.dataSync())];
  }));
  assertClose(fast, cpu, 1e-5, 'fast vs cpu');
  assertClose(xnnpack, cpu, 1e-5, 'xnnpack vs cpu');
  assertClose(fast, stock, 1e-5, 'fast vs stock');
  // an inner dimension of 0 is an empty sum: zeros (the stock wasm kernel leaves garbage there)
  await selectBackend('wasm');
  for (const [sa, sb] of [[[2, 0], [0, 3]], [[2, 3, 0], [2, 0, 4]], [[5, 0], [0, 1]]]) {
    const out = tf.matMul(tf.ones(sa), tf.ones(sb));
    assert.deepEqual(Array.from(out.dataSync()), new Array(out.size).fill(0), `${JSON.stringify(sa)} x ${JSON.stringify(sb)}`);
  }
});

test('wasm kernels: Identity, Cast, Unpack, SplitV, Tanh, Sum, Transpose and GatherV2 give the stock kernels\' and the cpu backend\'s results', async () => {
  const { cpu, fast, xnnpack, stock } = await onBackends(() => {
    const x = wave([3, 4, 5], 1);
    const out: tf.Tensor[] = [tf.clone(x), tf.cast(x, 'float32'), tf.cast(tf.cast(x, 'int32'), 'float32')];
    for (const axis of [0, 1, 2, -1]) out.push(...tf.unstack(x, axis));
    out.push(...tf.split(x, 2, 1), ...tf.split(x, [1, -1, 2], 2), ...tf.split(x, [2, 1], 0), ...tf.split(tf.reshape(x, [12, 5]), 5, -1));
    out.push(tf.tanh(tf.linspace(-20, 20, 801)), tf.tanh(tf.tensor1d([0, 1e-3, -1e-3, 0.5, 40, -40])));
    for (const [axis, keep] of [[0, false], [[0, 1], false], [[1, 0], true], [1, false], [2, true], [[0, 2], false], [[0, 1, 2], false]] as const) out.push(tf.sum(x, axis as number | number[], keep));
    out.push(tf.sum(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), 0));
    for (const perm of [[0, 2, 1], [1, 0, 2], [2, 1, 0], [0, 1, 2]]) out.push(tf.transpose(x, perm));
    out.push(tf.transpose(tf.reshape(x, [12, 5])));
    const x4 = wave([2, 3, 4, 5], 2);
    for (const perm of [[0, 2, 1, 3], [2, 0, 1, 3], [1, 2, 0, 3], [3, 2, 1, 0], [0, 1, 3, 2]]) out.push(tf.transpose(x4, perm));
    const y = wave([3, 2, 5], 3);
    out.push(tf.concat([x, wave([3, 1, 5], 4), y], 1), tf.concat([x, wave([3, 4, 2], 5)], -1), tf.concat([x, wave([1, 4, 5], 6)], 0), tf.concat([tf.zeros([3, 0, 5]), y], 1));
    out.push(tf.cast(tf.concat([tf.tensor2d([[1, 2]], [1, 2], 'int32'), tf.tensor2d([[3], [4]].flat(), [1, 2], 'int32')], 1), 'float32'), tf.stack([x, x], 2));
    const rows = tf.tensor1d([2, 0, 2, 1], 'int32');
    out.push(tf.gather(x, rows), tf.gather(x, tf.tensor2d([[1, 2], [0, 0]], [2, 2], 'int32')), tf.gather(tf.reshape(x, [60]), tf.tensor1d([59, 0, 7], 'int32')), tf.gather(x, rows, 2), tf.cast(tf.gather(tf.tensor1d([5, 6, 7], 'int32'), rows), 'float32'));
    // gradients through all of them: unstack/stack, split/concat, tanh, sum, transpose and saved tensors
    const grad = tf.grad((v: tf.Tensor) => {
      const parts = tf.unstack(tf.tanh(v), 1).map((p, i) => tf.mul(p, i + 1));
      const [l, r] = tf.split(tf.stack(parts, 1), [2, 3], 2);
      return tf.sum(tf.matMul(tf.transpose(tf.sum(l, 0)), tf.sum(r, 0)));
    })(x);
    out.push(grad);
    return out.map((t) => [...t.shape, ...Array.from(t.dataSync())]);
  });
  assertClose(fast, cpu, 1e-5, 'fast vs cpu');
  assertClose(xnnpack, cpu, 1e-5, 'xnnpack vs cpu');
  assertClose(fast, stock, 1e-5, 'fast vs stock');
});

test('wasm kernels: Unpack, SplitV, GatherV2 and batched products read their operands right when the heap grows under them', async () => {
  const { currentMatMulEngine, setMatMulEngine } = await import('../../src/train/kernels.ts');
  await selectBackend('wasm');
  // growing an unshared wasm memory replaces its buffer and detaches views taken before the growth
  const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer;
  const value = (i: number) => i % 1021;
  const ramp = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, (_, i) => value(i)), shape);
  const side = (n: number) => 2 ** Math.ceil(Math.log2(Math.sqrt(n)) );
  const cases: { name: string; input: (n: number) => tf.Tensor[]; run: (inputs: tf.Tensor[]) => tf.Tensor[]; expected: (inputs: tf.Tensor[]) => Float32Array[] }[] = [
    { name: 'unstack', input: (n) => [ramp([2, n / 2])], run: ([x]) => tf.unstack(x), expected: ([x]) => [0, 1].map((j) => Float32Array.from({ length: x.shape[1]! }, (_, k) => value(j * x.shape[1]! + k))) },
    { name: 'split', input: (n) => [ramp([n / 4, 4])], run: ([x]) => tf.split(x, [1, 3], 1), expected: ([x]) => [[0, 1], [1, 3]].map(([from, width]) => Float32Array.from({ length: x.shape[0] * width }, (_, i) => value(Math.floor(i / width) * 4 + from + (i % width)))) },
    { name: 'gather', input: (n) => [ramp([n / 64, 64]), tf.tensor1d(Array.from({ length: n / 64 }, (_, i) => n / 64 - 1 - i), 'int32')], run: ([x, rows]) => [tf.gather(x, rows)], expected: ([x]) => [Float32Array.from({ length: x.size }, (_, i) => value((x.shape[0] - 1 - Math.floor(i / 64)) * 64 + (i % 64)))] },
    {
      name: 'batched product on XNNPACK',
      input: (n) => [tf.ones([2, side(n), 2]), tf.tensor3d(Float32Array.from({ length: 2 * 2 * side(n) }, (_, i) => value(i)), [2, 2, side(n)])],
      run: ([a, b]) => [tf.matMul(a, b)],
      expected: ([a, b]) => {
        const [, M, N] = [0, a.shape[1]!, b.shape[2]!];
        return [Float32Array.from({ length: 2 * M * N }, (_, i) => {
          const batch = Math.floor(i / (M * N));
          const col = i % N;
          return value(batch * 2 * N + col) + value(batch * 2 * N + N + col);
        })];
      },
    },
  ];
  const engine = currentMatMulEngine();
  setMatMulEngine(undefined);
  try {
    for (const c of cases) {
      let grew = false;
      // operands about half the heap: the outputs then outgrow it; doubled until they do
      for (let n = heap().byteLength / 8; !grew && n <= heap().byteLength * 2; n *= 2) {
        const inputs = c.input(n);
        const before = heap();
        const outputs = c.run(inputs);
        grew = heap() !== before;
        if (grew) {
          const expected = c.expected(inputs);
          outputs.forEach((o, k) => {
            const got = o.dataSync();
            assert.equal(got.length, expected[k].length, `${c.name} output ${k}: length`);
            const wrong = got.findIndex((v, i) => v !== expected[k][i]);
            assert.equal(wrong, -1, `${c.name} output ${k}[${wrong}]: ${got[wrong]} vs ${expected[k][wrong]}`);
          });
        }
        tf.dispose([...inputs, ...outputs]);
      }
      assert.ok(grew, `${c.name}: the heap grew during the kernel`);
    }
  } finally {
    setMatMulEngine(engine);
  }
});

test('wasm kernels: a GPT and a GRU give the same loss and gradients with the fast kernels as with the stock ones and on cpu', async () => {
  const { validateConfig } = await import('../../src/train/config.ts');
  const { createModel } = await import('../../src/train/models/index.ts');
  const { crossEntropy } = await import('../../src/train/trainer.ts');
  for (const model of [{ type: 'gpt', width: 32, layers: 2, heads: 4, context: 16 }, { type: 'gru', embedding: 24, units: 32, layers: 2, context: 16 }, { type: 'lstm', embedding: 24, units: 32, layers: 1, context: 16 }]) {
    const { cpu, fast, xnnpack, stock } = await onBackends(() => {
      const config = validateConfig({ model: { ...model, dropout: 0 } as never });
      const m = createModel(config.model, 50, 3);
      const ids = tf.tensor2d(Array.from({ length: 3 * 16 }, (_, i) => (i * 7 + 3) % 50), [3, 16], 'int32');
      const targets = tf.tensor2d(Array.from({ length: 3 * 16 }, (_, i) => (i * 11 + 5) % 50), [3, 16], 'int32');
      const vars = [...m.params.values()];
      const { value, grads } = tf.variableGrads(() => crossEntropy(m.forward(ids, true, 1), targets, 50), vars);
      const out = [[value.dataSync()[0]], ...vars.map((v) => Array.from(grads[v.name].dataSync()))];
      for (const v of vars) v.dispose();
      return out;
    });
    assertClose(fast, cpu, 1e-4, `${model.type} fast vs cpu`);
    assertClose(xnnpack, cpu, 1e-4, `${model.type} xnnpack vs cpu`);
    assertClose(fast, stock, 1e-4, `${model.type} fast vs stock`);
  }
});

test('GRU layer: the written-out backward pass through time gives autograd\'s gradients', async () => {
  const { gruLayer } = await import('../../src/train/models/rnn.ts');
  await selectBackend('cpu');
  const [B, T, U] = [3, 5, 4];
  const xw = wave([B, T, 3 * U], 1);
  const wh = tf.mul(wave([U, 3 * U], 2), 0.4);
  const bhn = wave([U], 3);
  const weights = wave([B, T, U], 4); // a loss that weighs every hidden state differently
  /** The GRU as plain taped ops: PyTorch's equations. */
  const reference = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
    let h: tf.Tensor = tf.zeros([B, U]);
    const hs: tf.Tensor[] = [];
    for (const xt of tf.unstack(x, 1)) {
      const [xz, xr, xn] = tf.split(xt, 3, 1);
      const [hz, hr, hn] = tf.split(tf.matMul(h, w), 3, 1);
      const z = tf.sigmoid(tf.add(xz, hz));
      const r = tf.sigmoid(tf.add(xr, hr));
      const n = tf.tanh(tf.add(xn, tf.mul(r, tf.add(hn, b))));
      h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
      hs.push(h);
    }
    return tf.stack(hs, 1);
  };
  const loss = (f: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x, w, b), weights));
  const ours = tf.grads(loss((x, w, b) => gruLayer(x as tf.Tensor3D, w as tf.Tensor2D, b as tf.Tensor1D)))([xw, wh, bhn]);
  const theirs = tf.grads(loss(reference))([xw, wh, bhn]);
  assertClose([Array.from(gruLayer(xw as tf.Tensor3D, wh as tf.Tensor2D, bhn as tf.Tensor1D).dataSync())], [Array.from(reference(xw, wh, bhn).dataSync())], 1e-6, 'hidden states');
  assertClose(ours.map((g) => Array.from(g.dataSync())), theirs.map((g) => Array.from(g.dataSync())), 1e-5, 'gradients');
});

test('GELU: values and written-out gradient match the tanh form of GPT-2 in float64, on cpu and wasm', async () => {
  const { gelu } = await import('../../src/train/models/gpt.ts');
  const xs = Array.from({ length: 161 }, (_, i) => -8 + i * 0.1);
  const c = Math.sqrt(2 / Math.PI);
  const expected = xs.map((x) => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x ** 3))));
  const slope = xs.map((x) => {
    const t = Math.tanh(c * (x + 0.044715 * x ** 3));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
  });
  for (const backend of ['cpu', 'wasm'] as const) {
    await selectBackend(backend);
    const x = tf.tensor1d(xs);
    const weights = tf.tensor1d(xs.map((_, i) => 1 + (i % 3)));
    const value = Array.from(gelu(x).dataSync());
    const grad = Array.from(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), weights)))(x).dataSync());
    value.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-5 * Math.max(1, Math.abs(expected[i])), `${backend} gelu(${xs[i]}) = ${v} vs ${expected[i]}`));
    grad.forEach((g, i) => assert.ok(Math.abs(g - (1 + (i % 3)) * slope[i]) <= 2e-5 * (1 + (i % 3)), `${backend} gelu'(${xs[i]}) = ${g} vs ${(1 + (i % 3)) * slope[i]}`));
  }
});

test('AdamW: the fused wasm kernels give the op-by-op update (cpu) over steps, with clipping and decoupled weight decay', async () => {
  const { AdamW } = await import('../../src/train/optimizer.ts');
  const run = async (backend: 'cpu' | 'wasm') => {
    await selectBackend(backend);
    const params = new Map([['w', tf.variable(wave([4, 6], 1))], ['b', tf.variable(wave([6], 2))]]);
    const optimizer = new AdamW(params, { lr: 0.05, minLr: 0, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, warmupSteps: 0, maxSteps: 10, clip: 0.5 });
    const norms: number[] = [];
    for (let step = 0; step < 4; step++) norms.push(optimizer.step({ w: tf.mul(wave([4, 6], 3 + step), 2), b: wave([6], 7 + step) }, 0.05));
    const out = [norms, ...[...params.values(), ...optimizer.m.values(), ...optimizer.v.values()].map((t) => Array.from(t.dataSync()))];
    optimizer.dispose();
    for (const v of params.values()) v.dispose();
    return out;
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  assert.ok(cpu[0][0] > 0.5, 'the gradients are clipped');
  assertClose(wasm, cpu, 1e-5, 'fused vs ops');
});

test('trainer: training steps on wasm leak no tensors or heap memory (cached transposes, shared identities, fused kernels)', async () => {
  const { validateConfig } = await import('../../src/train/config.ts');
  const { createModel } = await import('../../src/train/models/index.ts');
  const { AdamW } = await import('../../src/train/optimizer.ts');
  const { trainStep } = await import('../../src/train/trainer.ts');
  const { currentMatMulEngine, setMatMulEngine } = await import('../../src/train/kernels.ts');
  await selectBackend('wasm');
  const engine = currentMatMulEngine();
  try {
    for (const [model, products] of [{ type: 'gpt', width: 32, layers: 2, heads: 4, context: 16 }, { type: 'gru', embedding: 24, units: 32, layers: 2, context: 16 }].flatMap((m) => [[m, engine], [m, undefined]] as const)) {
      setMatMulEngine(products);
      const config = validateConfig({ model: { ...model, dropout: 0.1 } as never });
      const m = createModel(config.model, 50, 3);
      const optimizer = new AdamW(m.params, { ...config.train, lr: 1e-3 });
      const x = tf.tensor2d(Array.from({ length: 4 * 16 }, (_, i) => (i * 7 + 3) % 50), [4, 16], 'int32');
      const y = tf.tensor2d(Array.from({ length: 4 * 16 }, (_, i) => (i * 11 + 5) % 50), [4, 16], 'int32');
      const snapshot = () => ({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, dataIds: tf.engine().backend.numDataIds() });
      for (let step = 0; step < 3; step++) trainStep(m, optimizer, x, y, 1e-3, step);
      const before = snapshot();
      for (let step = 3; step < 40; step++) trainStep(m, optimizer, x, y, 1e-3, step);
      assert.deepEqual(snapshot(), before, `${model.type} (${products ? 'onnxruntime' : 'XNNPACK'} products): memory after 37 more steps`);
      optimizer.dispose();
      for (const v of m.params.values()) v.dispose();
      x.dispose();
      y.dispose();
    }
  } finally {
    setMatMulEngine(engine);
  }
});
