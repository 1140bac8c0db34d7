/**
 * Greedy generation with a KV cache, generated tokens/s: the built-in GPT A (vocab 4096, d 256, 4
 * layers, 4 heads, context 128; random weights), 64-token prompts, 64 new tokens, batch 1 and 16,
 * through codegen-eval's engine (`createGenerator`: the decoder graph with past key values on
 * onnxruntime-node) against PyTorch CPU (Debian's python3-torch) doing the same with its own KV cache
 * (bench/torch_generate.py). Every setting of each side (thread counts, spinning threads; for PyTorch
 * threads and OpenBLAS's core type) runs in every one of BENCH_GENERATE_ROUNDS rounds (3), the sides
 * alternating; each side's best of all is printed with its setting (this machine's cores run in fast
 * and slow phases lasting seconds).
 */
import { spawnSync } from 'node:child_process';
import { createGenerator, type Generator } from '../src/models/generate.ts';
import { selectBackend } from '../src/train/backend.ts';
import { validateConfig } from '../src/train/config.ts';
import { createModel } from '../src/train/models/index.ts';
import { createRandom } from '../src/util/random.ts';
import { packagePath } from '../src/util/paths.ts';
import { printTable } from './common.ts';
import { anchorEnv, bestBlas, describeBlas } from './anchors.ts';

const A = { vocab: 4096, width: 256, layers: 4, heads: 4, context: 128 };
const PROMPT = 64;
const NEW = 64;

function torchGenerate(batch: number, threads: number, coretype: string | undefined, seconds: number): number | undefined {
  const args = [A.vocab, A.width, A.layers, A.heads, A.context, PROMPT, NEW, batch, threads, seconds].map(String);
  const env = anchorEnv();
  delete env.OPENBLAS_CORETYPE;
  if (coretype) env.OPENBLAS_CORETYPE = coretype;
  const r = spawnSync('/usr/bin/python3', [packagePath('bench', 'torch_generate.py'), ...args], { encoding: 'utf8', env });
  if (r.status !== 0) {
    console.log(`PyTorch failed: ${(r.stderr ?? String(r.error)).slice(-300)}`);
    return undefined;
  }
  return Number(r.stdout.trim());
}

async function oursTokensPerSecond(generator: Generator, batch: number, seconds: number): Promise<number> {
  const rng = createRandom(7);
  const prompts = Array.from({ length: batch }, () => Array.from({ length: PROMPT }, () => rng.int(A.vocab)));
  const run = async () => {
    const out = await generator.generate(prompts, { maxTokens: NEW });
    if (out.some(([c]) => c.ids.length !== NEW)) throw new Error('a completion ended early');
  };
  await run();
  let best = Infinity;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || best === Infinity) {
    const t0 = performance.now();
    await run();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (batch * NEW) / best;
}

export async function benchGenerate(): Promise<void> {
  const seconds = Number(process.env.BENCH_GENERATE_SECONDS ?? 2);
  const rounds = Number(process.env.BENCH_GENERATE_ROUNDS ?? 3);
  await selectBackend('cpu');
  const config = validateConfig({ model: { type: 'gpt', width: A.width, layers: A.layers, heads: A.heads, context: A.context, dropout: 0 } } as never);
  const model = createModel(config.model, A.vocab, 1);
  const weights = { config: config.model, vocabSize: A.vocab, params: model.params };
  const settings = [{ threads: 1, spinning: false }, { threads: 2, spinning: false }, { threads: 2, spinning: true }];
  const generators = new Map<string, Generator>();
  const label = (s: { threads: number; spinning: boolean }) => `${s.threads} thread${s.threads > 1 ? 's' : ''}${s.threads > 1 ? (s.spinning ? ', spinning' : ', not spinning') : ''}`;
  for (const setting of settings) {
    generators.set(label(setting), await createGenerator({ spec: 'bench', identity: 'bench', weights, eos: -1, encode: () => [], decode: () => '', ...setting }));
  }
  const haveTorch = torchGenerate(1, 1, undefined, 0.2) !== undefined;
  if (!haveTorch) console.log('PyTorch not found: apt-get install python3-torch libopenblas0-pthread for the anchor');
  const rows: (string | number)[][] = [];
  for (const batch of [1, 16]) {
    // every setting of each side in every round, the two sides alternating: the best of all, with its setting
    let ours = { setting: '', rate: 0 };
    let torch = { setting: '', rate: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const [setting, g] of generators) {
        const rate = await oursTokensPerSecond(g, batch, seconds);
        if (rate > ours.rate) ours = { setting, rate };
      }
      if (!haveTorch) continue;
      for (const threads of [1, 2]) {
        // OpenBLAS's own detection and the probed best kernel (anchors.ts)
        for (const coretype of [...new Set([undefined, bestBlas()?.coretype])]) {
          const rate = torchGenerate(batch, threads, coretype, seconds) ?? 0;
          if (rate > torch.rate) torch = { setting: `${threads} thread${threads > 1 ? 's' : ''}, OpenBLAS core ${coretype ?? 'detected'}`, rate };
        }
      }
    }
    rows.push([
      `batch ${batch}`, Math.round(ours.rate), ours.setting,
      haveTorch ? Math.round(torch.rate) : '-', haveTorch ? torch.setting : '-',
      haveTorch ? `${(ours.rate / torch.rate).toFixed(2)}x` : '-',
    ]);
  }
  for (const g of generators.values()) await g.dispose();
  for (const v of model.params.values()) v.dispose();
  const core = spawnSync('/usr/bin/python3', ['-c', 'import torch; torch.randn(64, 64) @ torch.randn(64, 64)'], { encoding: 'utf8', env: { ...process.env, OPENBLAS_VERBOSE: '2' } });
  const torchVersion = spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
  printTable(`greedy generation, GPT A (vocab ${A.vocab}, d ${A.width}, ${A.layers} layers, context ${A.context}), ${PROMPT}-token prompts, ${NEW} new tokens, generated tokens/s (best of ${rounds} alternating rounds over every setting)`,
    ['', 'codegen-eval (onnxruntime-node, KV cache)', 'its setting', `PyTorch ${torchVersion || '-'} (KV cache)`, 'its setting', 'ratio'], rows);
  console.log(`OpenBLAS as detected: ${(core.stdout + core.stderr).trim().split('\n')[0] || 'unknown'}`);
  console.log(describeBlas());
}
