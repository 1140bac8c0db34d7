/**
 * The scorer's statistics inside the graph: given an extra input `targets` [batch, sequence] (int64:
 * the token each position should predict), outputs per position its log-probability `target_logprob`,
 * `target_rank` (1 + the number of logits above the target's) and the predictive `entropy`, all
 * [batch, sequence] floats. The logits never leave onnxruntime (32 MB per 2,048 positions of a
 * 4,096-token vocabulary: 16 ms in onnxruntime-node's binding, measured here), and no exp per logit
 * runs in JavaScript. With l = log-softmax(x): logprob = l_t, rank = 1 + #{j: l_j > l_t},
 * entropy = -sum_j exp(l_j) l_j.
 * The output layer is computed in blocks of rows, each followed by the statistics of its rows, so that
 * the head's passes over a block of logits (log-softmax, the rank count, the entropy's sum) read it
 * from cache rather than memory: 14% faster for the GRU of bench/score.
 */
import { DataType, floatTensor, int64Tensor, type Graph } from '../../util/onnx.ts';
import { graphBuilder } from './graph.ts';

export const SCORING_OUTPUTS = ['target_logprob', 'target_rank', 'entropy'] as const;

/** Where a causal LM graph computes its logits: the states [..., width] times weight [width, vocab] (+ bias). */
export interface OutputLayer {
  /** The tensor the projection writes (the logits, or the flat logits they are reshaped from). */
  product: string;
  states: string;
  weight: string;
  bias?: string;
  width: number;
  vocab: number;
}

/** Rows per block: a block's logits about 2 MB (this machine's L2 per core), at least 16 rows. */
export function rowsPerBlock(vocab: number): number {
  return Math.max(16, Math.round(2 ** 19 / vocab));
}

/**
 * The graph with its output layer replaced by the blocked statistics. `rows` is the most positions a
 * run usually has (the scorer's tokens per batch): that many are split into blocks of
 * `rowsPerBlock`, and the last block takes whatever is left, so any number of positions is right.
 */
export function addScoringHead(graph: Graph, output: OutputLayer, rows: number): Graph {
  const { nodes, initializers, op } = graphBuilder('head_');
  nodes.push(...graph.nodes.filter((n) => !n.outputs.includes(output.product) && !n.outputs.includes('logits')));
  initializers.push(int64Tensor('head_last_axis', [1], [-1]), int64Tensor('head_rows_shape', [2], [-1, output.width]), int64Tensor('head_axis0', [1], [0]));
  initializers.push(floatTensor('head_one', [], Float32Array.of(1)));
  const states = op('Reshape', [output.states, 'head_rows_shape']);
  const targets = op('Reshape', ['targets', 'head_last_axis']);
  const perBlock = rowsPerBlock(output.vocab);
  const blocks = Math.max(1, Math.ceil(rows / perBlock));
  const parts: Record<(typeof SCORING_OUTPUTS)[number], string[]> = { target_logprob: [], target_rank: [], entropy: [] };
  for (let b = 0; b < blocks; b++) {
    const start = `head_start_${b}`;
    const end = `head_end_${b}`;
    initializers.push(int64Tensor(start, [1], [b * perBlock]), int64Tensor(end, [1], [b + 1 < blocks ? (b + 1) * perBlock : Number.MAX_SAFE_INTEGER]));
    const slice = (x: string) => op('Slice', [x, start, end, 'head_axis0']);
    const x = output.bias ? op('Gemm', [slice(states), output.weight, output.bias]) : op('MatMul', [slice(states), output.weight]);
    // log-softmax (vectorised in onnxruntime; its ReduceLogSumExp is not: 14 ms per 8M logits here)
    const logp = op('LogSoftmax', [x], [{ name: 'axis', int: -1 }]);
    const target = op('GatherElements', [logp, op('Unsqueeze', [slice(targets), 'head_last_axis'])], [{ name: 'axis', int: -1 }]);
    parts.target_logprob.push(target);
    parts.target_rank.push(op('ReduceSum', [op('Cast', [op('Greater', [logp, target])], [{ name: 'to', int: DataType.FLOAT }]), 'head_last_axis'], [{ name: 'keepdims', int: 1 }]));
    parts.entropy.push(op('Neg', [op('ReduceSum', [op('Mul', [op('Exp', [logp]), logp]), 'head_last_axis'], [{ name: 'keepdims', int: 1 }])]));
  }
  const shape = op('Shape', ['targets']);
  const joined = (name: (typeof SCORING_OUTPUTS)[number]) => (blocks > 1 ? op('Concat', parts[name], [{ name: 'axis', int: 0 }]) : parts[name][0]);
  op('Reshape', [joined('target_logprob'), shape], undefined, 'target_logprob');
  op('Reshape', [op('Add', [joined('target_rank'), 'head_one']), shape], undefined, 'target_rank');
  op('Reshape', [joined('entropy'), shape], undefined, 'entropy');
  const positions = ['batch_size', 'sequence_length'];
  return {
    ...graph,
    nodes,
    initializers: [...graph.initializers, ...initializers],
    inputs: [...graph.inputs, { name: 'targets', elemType: DataType.INT64, shape: positions }],
    outputs: SCORING_OUTPUTS.map((name) => ({ name, elemType: DataType.FLOAT, shape: positions })),
  };
}
