/**
 * The training loop (one file, as nanoGPT's train.py): tokenizer (trained on the training split or
 * loaded), model, AdamW with warm-up and cosine decay, gradient clipping, periodic evaluation (loss,
 * perplexity, top-1 accuracy on fixed validation windows), early stopping with patience, atomic
 * checkpoints with the whole context, and `resume` from the newest checkpoint. Seeded and
 * deterministic on one backend: a run killed and resumed reaches the weights of an uninterrupted run.
 */
import { checkModelFits } from './modelSize.ts';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readCorpus, resolveCorpus, SkipLog } from '../corpus/index.ts';
import { recordTrainingCorpus, TRAINING_CORPUS_FILE } from './corpusRecord.ts';
import { loadTrainConfigFrom } from './config.ts';
import { checkOutputFolder } from '../util/outputs.ts';
import { isLanguageId, type LanguageId } from '../languages/languages.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { Progress } from '../util/progress.ts';
import { deriveSeed } from '../util/random.ts';
import { TOOL_VERSION } from '../util/version.ts';
import { describeBackend, selectBackend, tf } from './backend.ts';
import { meanCrossEntropy } from './logits.ts';
import { latestCheckpoint, loadCheckpoint, readFloats, saveCheckpoint, type CheckpointState } from './checkpoint.ts';
import type { TrainConfig } from './config.ts';
import { splitOf, trainWindows, validWindows, type StreamOptions, type StreamPosition } from './data.ts';
import { createModel, parameterCount, type LanguageModel } from './models/index.ts';
import { AdamW, learningRate } from './optimizer.ts';
import { CodeTokenizer, saveTokenizer, tokenizerFiles, trainBpe } from './tokenizer.ts';

export const MODEL_FORMAT = 'codegen-eval/model@1';

export interface TrainOptions {
  config: TrainConfig;
  corpus: string;
  out: string;
  resume?: boolean;
  /** The `key.path=value` overrides given (--set, --backend): on resume only these are compared with the saved run. */
  overrides?: readonly string[];
  quiet?: boolean;
  log?: (message: string) => void;
  /** Stop after this many steps in this invocation (tests simulate an interruption with it). */
  stopAfter?: number;
}

export interface TrainSummary {
  out: string;
  backend: string;
  steps: number;
  stoppedEarly: boolean;
  bestValidLoss: number | null;
  bestStep: number | null;
  parameters: number;
  tokensPerSecond: number;
}

export interface EvalResult { loss: number; perplexity: number; accuracy: number }

/**
 * Mean next-token cross-entropy; logits [B, T, V], targets [B, T]. The targets' log-probabilities are
 * gathered from the flattened log-softmax (no [B*T, V] one-hot), so the gradient is a scatter.
 */
export function crossEntropy(logits: tf.Tensor3D, targets: tf.Tensor2D, vocabSize: number): tf.Scalar {
  const n = targets.size;
  return meanCrossEntropy(tf.reshape(logits, [n, vocabSize]), tf.reshape(targets, [n]));
}

function batchTensors(windows: Int32Array[], context: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const B = windows.length;
  const x = new Int32Array(B * context);
  const y = new Int32Array(B * context);
  windows.forEach((w, b) => {
    x.set(w.subarray(0, context), b * context);
    y.set(w.subarray(1, context + 1), b * context);
  });
  return { x: tf.tensor2d(x, [B, context], 'int32'), y: tf.tensor2d(y, [B, context], 'int32') };
}

/** One optimisation step on a batch: forward, backward, AdamW; returns [loss, gradient norm]. */
export function trainStep(model: LanguageModel, optimizer: AdamW, x: tf.Tensor2D, y: tf.Tensor2D, lr: number, seed: number): [number, number] {
  const vars = [...model.params.values()];
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x, true, seed), y, model.vocabSize), vars);
    const named: Record<string, tf.Tensor> = {};
    for (const [name, v] of model.params) named[name] = grads[v.name];
    const gradNorm = optimizer.step(named, lr);
    return [value.dataSync()[0], gradNorm];
  });
}

export function evaluate(model: LanguageModel, windows: Int32Array[], batchSize: number): EvalResult {
  const context = model.config.context;
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (let i = 0; i < windows.length; i += batchSize) {
    const chunk = windows.slice(i, i + batchSize);
    tf.tidy(() => {
      const { x, y } = batchTensors(chunk, context);
      const logits = model.forward(x, false, 0);
      lossSum += crossEntropy(logits, y, model.vocabSize).dataSync()[0] * chunk.length;
      correct += tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'float32')).dataSync()[0];
      count += chunk.length;
    });
  }
  const loss = lossSum / count;
  return { loss, perplexity: Math.exp(loss), accuracy: correct / (count * context) };
}

async function prepareTokenizer(config: TrainConfig, corpus: string, out: string, languages: LanguageId[] | undefined, log: (m: string) => void): Promise<CodeTokenizer> {
  if (existsSync(join(out, 'tokenizer.json'))) return CodeTokenizer.load(out);
  if (config.tokenizer.path) {
    const tokenizer = await CodeTokenizer.load(config.tokenizer.path);
    await saveTokenizer(out, tokenizer.files);
    return tokenizer;
  }
  log(`training a ${config.tokenizer.vocabSize}-token BPE tokenizer on the training split`);
  const source = await resolveCorpus(corpus);
  async function* texts() {
    let n = 0;
    for await (const s of readCorpus(source, new SkipLog(), { languages })) {
      if (splitOf(s, config.data.validFraction) !== 'train') continue;
      if (config.data.maxSnippets && n++ >= config.data.maxSnippets) break;
      yield s.code;
    }
  }
  const bpe = await trainBpe(texts(), { vocabSize: config.tokenizer.vocabSize, minFrequency: config.tokenizer.minFrequency, specialTokens: ['<|endoftext|>', '<pad>'] });
  await saveTokenizer(out, tokenizerFiles(bpe, { modelMaxLength: config.model.context }));
  return CodeTokenizer.load(out);
}

async function truncateMetrics(file: string, step: number): Promise<void> {
  if (!existsSync(file)) return;
  const kept = (await readFile(file, 'utf8')).split('\n').filter((line) => line && (JSON.parse(line) as { step: number }).step <= step);
  await writeFileAtomic(file, kept.map((l) => `${l}\n`).join(''));
}

export async function train(options: TrainOptions): Promise<TrainSummary> {
  const log = options.log ?? (() => {});
  const out = options.out;
  if (!options.resume) {
    checkOutputFolder(out, { what: 'model folder', marker: 'model.json', formats: [MODEL_FORMAT], inputs: [options.corpus], isOurs: isOurModelFolder });
    checkModelFits(options.config);
  }
  // a fresh run that fails before its first checkpoint leaves no half-made model folder behind
  const createdOut = !options.resume && !existsSync(out);
  await mkdir(out, { recursive: true });
  try {
    return await trainInto(options, out, log);
  } catch (error) {
    if (createdOut && !(await latestCheckpoint(out).catch(() => undefined))) await rm(out, { recursive: true, force: true });
    throw error;
  }
}

async function trainInto(options: TrainOptions, out: string, log: (message: string) => void): Promise<TrainSummary> {
  let config = options.config;
  let resumeFrom: string | undefined;
  if (options.resume) {
    resumeFrom = await latestCheckpoint(out);
    if (!resumeFrom) throw new UserError(`nothing to resume in ${out}: no checkpoint found`, { hint: 'start the run without --resume' });
    const saved = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as TrainConfig;
    config = resumeConfig(saved, options.overrides ?? [], log);
    checkModelFits(config);
  } else if (await latestCheckpoint(out)) {
    throw new UserError(`${out} already holds a training run`, { hint: 'pass --resume to continue it, or choose another --out' });
  }
  const backend = describeBackend(await selectBackend(config.train.backend));
  const languages = config.data.languages.length ? config.data.languages.filter(isLanguageId) : undefined;
  await writeFileAtomic(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const tokenizer = await prepareTokenizer(config, options.corpus, out, languages, log);
  if (!resumeFrom || !existsSync(join(out, TRAINING_CORPUS_FILE))) {
    const record = await recordTrainingCorpus(out, { corpus: options.corpus, validFraction: config.data.validFraction, languages, maxSnippets: config.data.maxSnippets });
    if (record.snippets === 0) throw new UserError(`the training split of ${options.corpus} has no snippets${languages ? ` of ${languages.join(', ')}` : ''}`, { hint: 'train on a corpus with code (data.validFraction of it is held out for validation)' });
    log(`recorded the ${record.snippets} training snippets' code hashes in ${TRAINING_CORPUS_FILE} (reports warn when they test on them)`);
  }
  const eos = tokenizer.tokenId('<|endoftext|>') ?? 0;
  const model = createModel(config.model, tokenizer.vocabSize, deriveSeed(config.train.seed, 'init'));
  const optimizer = new AdamW(model.params, config.train);
  const streamOptions: StreamOptions = {
    corpus: options.corpus, split: 'train', validFraction: config.data.validFraction, languages, maxSnippets: config.data.maxSnippets,
    window: config.model.context + 1, seed: config.train.seed,
  };
  let state: Pick<CheckpointState, 'step' | 'position' | 'bestValidLoss' | 'bestStep' | 'evalsWithoutImprovement' | 'tokensSeen'> = {
    step: 0, position: { epoch: 0, taken: 0 }, bestValidLoss: null, bestStep: null, evalsWithoutImprovement: 0, tokensSeen: 0,
  };
  const metricsFile = join(out, 'metrics.jsonl');
  const timingFile = join(out, 'timing.jsonl');
  if (resumeFrom) {
    state = await loadCheckpoint(resumeFrom, model.params, optimizer);
    await truncateMetrics(metricsFile, state.step);
    log(`resumed from ${resumeFrom} (step ${state.step})`);
  }
  const valid = await validWindows(tokenizer, eos, streamOptions, config.train.evalBatches * config.train.batchSize);
  if (valid.length === 0) log('warning: the validation split has no complete window; evaluation is skipped');
  const params = parameterCount(model);
  await writeFileAtomic(join(out, 'model.json'), `${JSON.stringify({ format: MODEL_FORMAT, tool: TOOL_VERSION, model: config.model, vocabSize: tokenizer.vocabSize, parameters: params, backend }, null, 2)}\n`);
  log(`${config.model.type} with ${params.toLocaleString('en')} parameters on ${backend}; vocabulary ${tokenizer.vocabSize}`);

  const t = config.train;
  const progress = new Progress({ label: 'train', unit: 'steps', total: t.maxSteps, startAt: state.step, quiet: options.quiet });
  const deadline = t.maxMinutes === null || t.maxMinutes === undefined ? Infinity : Date.now() + t.maxMinutes * 60_000;
  const stream = trainWindows(tokenizer, eos, streamOptions, state.position);
  const started = Date.now();
  const startTokens = state.tokensSeen;
  let stoppedEarly = false;
  let stepsThisRun = 0;
  const checkpoint = async (isBest: boolean) => {
    await saveCheckpoint(out, { format: 'codegen-eval/checkpoint@1', ...state, optimizerSteps: optimizer.t, backend, parameters: [...model.params].map(([name, v]) => ({ name, shape: v.shape })) }, model.params, optimizer, t.keepLast, isBest);
  };
  while (state.step < t.maxSteps) {
    const windows: Int32Array[] = [];
    let position: StreamPosition = state.position;
    while (windows.length < t.batchSize) {
      const next = await stream.next();
      if (next.done) throw new Error('the training stream ended');
      windows.push(next.value.window);
      position = next.value.position;
    }
    const lr = learningRate(state.step, t);
    const seed = deriveSeed(t.seed, `dropout-${state.step}`);
    const { x, y } = batchTensors(windows, config.model.context);
    const loss = trainStep(model, optimizer, x, y, lr, seed);
    x.dispose();
    y.dispose();
    state.step++;
    stepsThisRun++;
    state.position = position;
    state.tokensSeen += t.batchSize * config.model.context;
    const rate = (state.tokensSeen - startTokens) / Math.max(1e-3, (Date.now() - started) / 1000);
    progress.update(state.step, `loss ${loss[0].toFixed(3)} lr ${lr.toExponential(2)} ${Math.round(rate)} tok/s`);
    await appendFile(metricsFile, `${JSON.stringify({ step: state.step, loss: loss[0], gradNorm: loss[1], lr, tokens: state.tokensSeen })}\n`);
    // speed and clock time go to their own log, so that metrics.jsonl is the same for the same seed
    await appendFile(timingFile, `${JSON.stringify({ step: state.step, time: new Date().toISOString(), tokensPerSecond: Math.round(rate) })}\n`);
    const evalNow = valid.length > 0 && (state.step % t.evalEvery === 0 || state.step === t.maxSteps);
    let isBest = false;
    if (evalNow) {
      const e = evaluate(model, valid, t.batchSize);
      isBest = state.bestValidLoss === null || e.loss < state.bestValidLoss;
      if (isBest) {
        state.bestValidLoss = e.loss;
        state.bestStep = state.step;
        state.evalsWithoutImprovement = 0;
      } else state.evalsWithoutImprovement++;
      await appendFile(metricsFile, `${JSON.stringify({ step: state.step, validLoss: e.loss, validPerplexity: e.perplexity, validAccuracy: e.accuracy })}\n`);
      log(`step ${state.step}: valid loss ${e.loss.toFixed(4)}, perplexity ${e.perplexity.toFixed(2)}, top-1 ${(100 * e.accuracy).toFixed(1)}%`);
    }
    const stop = evalNow && state.evalsWithoutImprovement >= t.patience;
    if (state.step % t.checkpointEvery === 0 || state.step === t.maxSteps || isBest || stop) await checkpoint(isBest);
    if (stop) {
      stoppedEarly = true;
      log(`early stop: no improvement in ${t.patience} evaluations (best ${state.bestValidLoss?.toFixed(4)} at step ${state.bestStep})`);
      break;
    }
    if (options.stopAfter && stepsThisRun >= options.stopAfter) break;
    if (Date.now() >= deadline) {
      if (state.step % t.checkpointEvery !== 0 && !isBest) await checkpoint(false);
      log(`stopped at step ${state.step}: the wall-clock budget train.maxMinutes = ${t.maxMinutes} is spent (checkpoint written; --resume continues)`);
      break;
    }
  }
  progress.finish();
  await stream.return(undefined);
  const tokensPerSecond = (state.tokensSeen - startTokens) / Math.max(1e-3, (Date.now() - started) / 1000);
  optimizer.dispose();
  for (const v of model.params.values()) v.dispose();
  return { out, backend, steps: state.step, stoppedEarly, bestValidLoss: state.bestValidLoss, bestStep: state.bestStep, parameters: params, tokensPerSecond };
}

/** The final weights of a run as a flat array (tests compare runs with it). */
export async function readFinalWeights(out: string): Promise<Float32Array> {
  const dir = await latestCheckpoint(out);
  if (!dir) throw new UserError(`no checkpoint in ${out}`);
  return readFloats(await readFile(join(dir, 'weights.bin')));
}


/**
 * The config of a resumed run: the saved one, with the overrides given now applied only where they
 * may change without breaking exact resumption: train.maxSteps (extended, not below the steps done)
 * and train.maxMinutes. Any other override that differs from the saved value is refused.
 */
export function resumeConfig(saved: TrainConfig, overrides: readonly string[], log: (m: string) => void): TrainConfig {
  const changeable = new Set(['train.maxSteps', 'train.maxMinutes']);
  const wanted = loadTrainConfigFrom(saved, overrides);
  const config: TrainConfig = JSON.parse(JSON.stringify(saved)) as TrainConfig;
  config.train.maxMinutes ??= null;
  const refused: string[] = [];
  for (const pair of overrides) {
    const key = pair.slice(0, pair.indexOf('=')).trim();
    const [section, field] = key.split('.') as [keyof TrainConfig, string];
    const before = (saved[section] as unknown as Record<string, unknown> | undefined)?.[field] ?? null;
    const after = (wanted[section] as unknown as Record<string, unknown>)[field];
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    if (!changeable.has(key)) { refused.push(`${key} (${JSON.stringify(before)} in the saved run, ${JSON.stringify(after)} asked)`); continue; }
    (config[section] as unknown as Record<string, unknown>)[field] = after;
    log(`resume: ${key} ${JSON.stringify(before)} -> ${JSON.stringify(after)}${key === 'train.maxSteps' ? ' (the learning-rate schedule is stretched from here on: the run is no longer the same as one started with this value)' : ''}`);
  }
  if (refused.length) {
    throw new UserError(`--resume continues the saved run exactly, so these settings cannot change: ${refused.join('; ')}`, { hint: 'drop those --set/--backend options (only train.maxSteps and train.maxMinutes may change on resume), or start a new run in another --out' });
  }
  return config;
}

/** A folder `train` wrote: its model.json, or (a run stopped before writing that) its config.json with our four sections. */
function isOurModelFolder(dir: string): boolean {
  const read = (name: string): Record<string, unknown> | null => {
    try {
      return JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  if (read('model.json')?.format === MODEL_FORMAT) return true;
  const config = read('config.json');
  return config !== null && ['model', 'tokenizer', 'data', 'train'].every((k) => typeof config[k] === 'object' && config[k] !== null) && Object.keys(config).length === 4;
}
