/**
 * The scorer's statistics inside the graph: given an extra input `targets` [batch, sequence] (int64:
 * the token each position should predict), outputs per position its log-probability `target_logprob`,
 * `target_rank` (1 + the number of logits above the target's) and the predictive `entropy`, all
 * [batch, sequence] floats. The logits stay an output (fetched only for top-k), but a run that fetches
 * the three statistics moves 3 floats per position out of onnxruntime instead of the vocabulary's
 * worth (32 MB per 2,048 positions of a 4,096-token vocabulary: 16 ms in onnxruntime-node's binding,
 * measured here) and needs no exp per logit in JavaScript.
 *   lse = log sum_j exp(x_j) = max x - log max softmax(x), logprob = x_t - lse,
 *   entropy = lse - sum_j softmax(x)_j x_j.
 */
import { DataType, floatTensor, int64Tensor, type Graph } from '../../util/onnx.ts';
import { graphBuilder } from './graph.ts';

export const SCORING_OUTPUTS = ['target_logprob', 'target_rank', 'entropy'] as const;

/**
 * `flatLogits` names a [batch x sequence, vocab] tensor the logits are a reshape of (a graph whose
 * output layer is a Gemm): the reshape is dropped (onnxruntime runs every node, fetched or not, and
 * the reshape copies all the logits) and `logits` is output flat, rows in the same order.
 */
export function addScoringHead(graph: Graph, flatLogits?: string): Graph {
  const rename = (name: string) => (name === flatLogits ? 'logits' : name);
  const { nodes, op } = graphBuilder('head_');
  nodes.push(...(flatLogits
    ? graph.nodes.filter((n) => !n.outputs.includes('logits')).map((n) => ({ ...n, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) }))
    : graph.nodes));
  const last = int64Tensor('head_last_axis', [1], [-1]);
  const targets = flatLogits ? op('Reshape', ['targets', last.name]) : 'targets';
  // [B, T] (or [B T] when flat, then back to the shape of the targets)
  const output = (value: string, name: string) => (flatLogits ? op('Reshape', [value, op('Shape', ['targets'])], undefined, name) : op('Identity', [value], undefined, name));
  // lse = max x - log max softmax(x), as in train/logits.ts: onnxruntime's ReduceLogSumExp is slow on CPU (14 ms per 8M logits here)
  const p = op('Softmax', ['logits'], [{ name: 'axis', int: -1 }]);
  const lse = op('Sub', [
    op('ReduceMax', ['logits'], [{ name: 'axes', ints: [-1] }, { name: 'keepdims', int: 1 }]),
    op('Log', [op('ReduceMax', [p], [{ name: 'axes', ints: [-1] }, { name: 'keepdims', int: 1 }])]),
  ]);
  const target = op('GatherElements', ['logits', op('Unsqueeze', [targets, last.name])], [{ name: 'axis', int: -1 }]);
  output(op('Squeeze', [op('Sub', [target, lse]), last.name]), 'target_logprob');
  const above = op('ReduceSum', [op('Cast', [op('Greater', ['logits', target])], [{ name: 'to', int: DataType.FLOAT }]), last.name], [{ name: 'keepdims', int: 0 }]);
  output(op('Add', [above, 'head_one']), 'target_rank');
  const expected = op('ReduceSum', [op('Mul', [p, 'logits']), last.name], [{ name: 'keepdims', int: 1 }]);
  output(op('Squeeze', [op('Sub', [lse, expected]), last.name]), 'entropy');
  const positions = ['batch_size', 'sequence_length'];
  return {
    ...graph,
    nodes,
    initializers: [...graph.initializers, last, floatTensor('head_one', [], Float32Array.of(1))],
    inputs: [...graph.inputs, { name: 'targets', elemType: DataType.INT64, shape: positions }],
    outputs: [
      ...graph.outputs.map((o) => (flatLogits && o.name === 'logits' ? { ...o, shape: ['positions', o.shape[o.shape.length - 1]] } : o)),
      ...SCORING_OUTPUTS.map((name) => ({ name, elemType: DataType.FLOAT, shape: positions })),
    ],
  };
}
