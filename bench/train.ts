/**
 * Training throughput (tokens/s) of the built-in models, side by side with PyTorch CPU (Debian's
 * python3-torch, torch.set_num_threads(1): its best setting here) on the same architectures and batch
 * shapes, on seeded random tokens: A) GPT vocab 4096, d 256, 4 layers, 4 heads, context 128, batch 16;
 * B) GPT vocab 1000, d 128, 2 layers, 4 heads, context 64, batch 32; C) GRU vocab 4096, embedding 256,
 * 1 x 512, context 128, batch 16. Dropout is off in both. BENCH_TRAIN_SECONDS bounds each measurement.
 * The project's trainer runs twice: its products on onnxruntime-node (the default), and, in a process
 * of its own, on XNNPACK with a threaded wasm backend (CODEGEN_EVAL_MATMUL=xnnpack: what runs where
 * onnxruntime-node does not load).
 */
import { spawnSync } from 'node:child_process';
import { anchorEnv, describeBlas } from './anchors.ts';
import { fileURLToPath } from 'node:url';
import { describeBackend, selectBackend, tf } from '../src/train/backend.ts';
import { validateConfig, type ModelConfig } from '../src/train/config.ts';
import { createModel } from '../src/train/models/index.ts';
import { AdamW } from '../src/train/optimizer.ts';
import { trainStep } from '../src/train/trainer.ts';
import { printTable, torchAnchor } from './common.ts';
import { createRandom } from '../src/util/random.ts';

interface Case { name: string; vocab: number; batch: number; model: Partial<ModelConfig> }

const CASES: Case[] = [
  { name: 'A: GPT 4096/256/4x4/128, batch 16', vocab: 4096, batch: 16, model: { type: 'gpt', width: 256, layers: 4, heads: 4, context: 128 } },
  { name: 'B: GPT 1000/128/2x4/64, batch 32', vocab: 1000, batch: 32, model: { type: 'gpt', width: 128, layers: 2, heads: 4, context: 64 } },
  { name: 'C: GRU 4096/256/1x512/128, batch 16', vocab: 4096, batch: 16, model: { type: 'gru', embedding: 256, units: 512, layers: 1, context: 128 } },
];

function randomBatch(seed: number, batch: number, context: number, vocab: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  // uniform random tokens from the project's generator (an LCG in doubles degenerates into repeats,
  // which sends the wasm kernels down slow paths)
  const rng = createRandom(seed);
  const ids = Int32Array.from({ length: batch * (context + 1) }, () => rng.int(vocab));
  const x = new Int32Array(batch * context);
  const y = new Int32Array(batch * context);
  for (let b = 0; b < batch; b++) {
    x.set(ids.subarray(b * (context + 1), b * (context + 1) + context), b * context);
    y.set(ids.subarray(b * (context + 1) + 1, (b + 1) * (context + 1)), b * context);
  }
  return { x: tf.tensor2d(x, [batch, context], 'int32'), y: tf.tensor2d(y, [batch, context], 'int32') };
}

async function ours(c: Case, seconds: number): Promise<number> {
  const config = validateConfig({ model: { ...c.model, dropout: 0 } as never });
  const model = createModel(config.model, c.vocab, 1);
  const optimizer = new AdamW(model.params, { ...config.train, lr: 1e-3 });
  const { x, y } = randomBatch(1, c.batch, config.model.context, c.vocab);
  trainStep(model, optimizer, x, y, 1e-3, 0); // warm-up
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || steps < 2) {
    trainStep(model, optimizer, x, y, 1e-3, 0);
    steps++;
  }
  const elapsed = (performance.now() - t0) / 1000;
  optimizer.dispose();
  for (const v of model.params.values()) v.dispose();
  return (steps * c.batch * config.model.context) / elapsed;
}

export async function benchTrain(): Promise<void> {
  const seconds = Number(process.env.BENCH_TRAIN_SECONDS ?? 15);
  const backend = await selectBackend((process.env.BENCH_BACKEND as 'wasm' | undefined) ?? 'auto');
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import time, torch\ntorch.set_num_threads(1)\na = torch.randn(512, 512)\nt0 = time.perf_counter()\nfor _ in range(20): a @ a\nprint(2 * 512**3 * 20 / (time.perf_counter() - t0) / 1e9)'], { encoding: 'utf8', env: anchorEnv() });
  const haveTorch = probe.status === 0;
  if (!haveTorch) console.log('PyTorch not found: apt-get install python3-torch libopenblas0-pthread for the anchor');
  else {
    const gflops = Number(probe.stdout.trim());
    console.log(`PyTorch's matmul: ${gflops.toFixed(0)} GFLOP/s (float32, 1 thread)${gflops < 30 ? ' (the reference BLAS? apt-get install libopenblas0-pthread)' : ''}`);
    console.log(describeBlas());
  }
  const rows: (string | number)[][] = [];
  for (const c of CASES) {
    const m = c.model;
    const pt = haveTorch
      ? torchAnchor('train', { kind: m.type === 'gpt' ? 'gpt' : 'gru', vocab: c.vocab, batch: c.batch, context: m.context!, width: m.width, layers: m.layers!, heads: m.heads, embedding: m.embedding, units: m.units }, seconds)
      : undefined;
    const us = await ours(c, seconds);
    const xnnpack = backend === 'wasm' ? xnnpackInChild(CASES.indexOf(c), seconds) : undefined;
    const ratio = (x: number | undefined) => (x && pt ? `${(x / pt).toFixed(2)}x` : '-');
    rows.push([c.name, Math.round(us), xnnpack ? Math.round(xnnpack) : '-', pt ? Math.round(pt) : '-', ratio(us), ratio(xnnpack)]);
  }
  printTable(`training throughput, tokens/s (codegen-eval on ${describeBackend(backend)}; PyTorch CPU, 1 thread; higher is better)`, ['model', 'codegen-eval', 'XNNPACK products (threaded wasm)', 'PyTorch', 'ratio', 'XNNPACK ratio'], rows);
}

/** Tokens/s of case `index` in a child process whose wasm backend computes products with XNNPACK. */
function xnnpackInChild(index: number, seconds: number): number | undefined {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(index), String(seconds)], {
    encoding: 'utf8', env: { ...process.env, CODEGEN_EVAL_MATMUL: 'xnnpack' },
  });
  const rate = Number(r.stdout.trim().split('\n').at(-1));
  if (r.status !== 0 || !Number.isFinite(rate)) {
    console.log(`the XNNPACK run failed: ${(r.stderr ?? '').slice(-300)}`);
    return undefined;
  }
  return rate;
}

if (process.argv[2] === '--child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  await selectBackend('wasm');
  console.log(await ours(CASES[Number(process.argv[3])], Number(process.argv[4])));
}
