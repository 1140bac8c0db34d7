/**
 * Checkpoints: the whole training context in a folder `checkpoints/step-NNNNNNNN/`:
 * - `state.json`: format, step, data position, best metrics, early-stopping counter, parameter names
 *   and shapes, the backend that wrote it;
 * - `weights.bin`: float32 parameters in `state.parameters` order (little-endian, concatenated);
 * - `optimizer.bin`: AdamW's first then second moments in the same order.
 * A checkpoint is written into a temp folder and renamed into place, so a kill at any moment leaves
 * either the previous checkpoint set or the new one. The run keeps the last `keepLast` checkpoints and a
 * copy of the best one in `best/`. The config and tokenizer of a run live in its root (model folder
 * format: docs/ARCHITECTURE.md).
 */
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { tf } from './backend.ts';
import type { AdamW } from './optimizer.ts';
import type { StreamPosition } from './data.ts';

export const CHECKPOINT_FORMAT = 'codegen-eval/checkpoint@1';

export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  step: number;
  position: StreamPosition;
  optimizerSteps: number;
  bestValidLoss: number | null;
  bestStep: number | null;
  evalsWithoutImprovement: number;
  tokensSeen: number;
  backend: string;
  parameters: { name: string; shape: number[] }[];
}

function concatValues(tensors: tf.Tensor[]): Buffer {
  const total = tensors.reduce((s, t) => s + t.size, 0);
  const out = new Float32Array(total);
  let off = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, off);
    off += t.size;
  }
  return Buffer.from(out.buffer);
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

export async function saveCheckpoint(runDir: string, state: CheckpointState, params: Map<string, tf.Variable>, optimizer: AdamW, keepLast: number, isBest: boolean): Promise<string> {
  const root = join(runDir, 'checkpoints');
  await mkdir(root, { recursive: true });
  const name = checkpointName(state.step);
  const tmp = join(root, `.${name}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  const names = [...params.keys()];
  await writeFile(join(tmp, 'weights.bin'), concatValues(names.map((n) => params.get(n)!)));
  await writeFile(join(tmp, 'optimizer.bin'), concatValues([...names.map((n) => optimizer.m.get(n)!), ...names.map((n) => optimizer.v.get(n)!)]));
  await writeFile(join(tmp, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  const target = join(root, name);
  await rm(target, { recursive: true, force: true });
  await rename(tmp, target);
  if (isBest) {
    const bestTmp = join(runDir, `.best.tmp-${process.pid}`);
    await rm(bestTmp, { recursive: true, force: true });
    await cp(target, bestTmp, { recursive: true });
    await rm(join(runDir, 'best'), { recursive: true, force: true });
    await rename(bestTmp, join(runDir, 'best'));
  }
  const all = (await readdir(root)).filter((d) => /^step-\d{8}$/.test(d)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keepLast))) await rm(join(root, old), { recursive: true, force: true });
  return target;
}

/** The newest complete checkpoint of a run, or undefined. */
export async function latestCheckpoint(runDir: string): Promise<string | undefined> {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return undefined;
  const all = (await readdir(root)).filter((d) => /^step-\d{8}$/.test(d) && existsSync(join(root, d, 'state.json'))).sort();
  return all.length ? join(root, all[all.length - 1]) : undefined;
}

export function readFloats(buffer: Buffer): Float32Array {
  return new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
}

/** One parameter of a checkpoint as a plain array (the shape of a tf.Variable for what reads it). */
export interface WeightArray { shape: number[]; size: number; dataSync(): Float32Array }

/** A checkpoint's state and weights, read without TensorFlow.js; `bytes` is weights.bin as on disk. */
export interface CheckpointWeights { state: CheckpointState; bytes: Buffer; params: Map<string, WeightArray> }

export async function readCheckpointWeights(dir: string): Promise<CheckpointWeights> {
  const state = await readCheckpointState(dir);
  const file = join(dir, 'weights.bin');
  const bytes = await readFile(file);
  const values = readFloats(bytes);
  const expected = state.parameters.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
  if (values.length !== expected) throw new UserError(`${file}: ${values.length} floats where state.json's parameters need ${expected}`, { hint: 'the checkpoint is incomplete or damaged: use another one (checkpoints/ keeps the last few)' });
  const params = new Map<string, WeightArray>();
  let off = 0;
  for (const { name, shape } of state.parameters) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = values.subarray(off, off + size);
    params.set(name, { shape, size, dataSync: () => data });
    off += size;
  }
  return { state, bytes, params };
}

export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  const file = join(dir, 'state.json');
  let state: CheckpointState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as CheckpointState;
  } catch (error) {
    throw new UserError(`${file} cannot be read: ${(error as Error).message}`, { hint: 'the checkpoint is incomplete or damaged (a copy cut short?): copy it again, or use another one (checkpoints/ keeps the last few)' });
  }
  if (state === null || typeof state !== 'object' || state.format !== CHECKPOINT_FORMAT) throw new UserError(`${file}: format '${String((state as { format?: unknown } | null)?.format)}' is not ${CHECKPOINT_FORMAT}`, { hint: 'point at a checkpoint folder written by codegen-eval train' });
  if (!Number.isInteger(state.step) || !Array.isArray(state.parameters)) throw new UserError(`${file}: not a complete checkpoint state (step and parameters are required)`, { hint: 'the checkpoint is damaged: use another one' });
  return state;
}

/** Load weights (and optimizer moments, when given an optimizer) into existing variables. */
export async function loadCheckpoint(dir: string, params: Map<string, tf.Variable>, optimizer?: AdamW, weights?: CheckpointWeights): Promise<CheckpointState> {
  const { state, params: arrays } = weights ?? (await readCheckpointWeights(dir));
  const names = [...params.keys()];
  const expected = state.parameters.map((p) => p.name);
  if (names.join('\n') !== expected.join('\n')) {
    throw new UserError(`${dir}: the checkpoint's parameters do not match the model's`, { hint: 'resume with the configuration the run was started with (its config.json)' });
  }
  for (const name of names) {
    const p = params.get(name)!;
    p.assign(tf.tensor(arrays.get(name)!.dataSync(), p.shape, 'float32'));
  }
  if (optimizer) {
    const moments = readFloats(await readFile(join(dir, 'optimizer.bin')));
    let o = 0;
    for (const table of [optimizer.m, optimizer.v]) {
      for (const name of names) {
        const v = table.get(name)!;
        v.assign(tf.tensor(moments.subarray(o, o + v.size), v.shape, 'float32'));
        o += v.size;
      }
    }
    optimizer.t = state.optimizerSteps;
  }
  return state;
}
