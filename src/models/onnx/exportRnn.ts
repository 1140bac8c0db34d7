/**
 * The ONNX graph (opset 17, standard operators) of a built-in recurrent model (models/rnn.ts): the
 * embedding, one ONNX GRU or LSTM operator per layer, and the output layer. Inputs input_ids (and
 * attention_mask, accepted for a GPT-2-like signature) [batch_size, sequence_length] int64; output
 * logits [batch_size, sequence_length, vocab_size].
 *
 * Weight layouts: ours are x W [in, G U] with gates in column blocks (GRU z, r, n; LSTM i, f, g, o);
 * ONNX wants W [1, G U, in] with gates in row blocks (GRU z, r, h; LSTM i, o, f, c) and the biases as
 * [W_b, R_b]. Our GRU is PyTorch's (the candidate's recurrent bias inside the reset product), which
 * is ONNX's linear_before_reset = 1.
 */
import { floatTensor, int64Tensor, type Graph, type Node } from '../../util/onnx.ts';
import type { OutputLayer } from './scoringHead.ts';
import { causalLmGraph, graphBuilder, transposeMatrix, weightValues, type ModelWeights } from './graph.ts';

/** Rows of the ONNX matrix [G U, in] from our [in, G U], taking our gate blocks in `order`. */
function gateRows(values: Float32Array, input: number, units: number, order: number[]): Float32Array {
  const G = order.length;
  const out = new Float32Array(G * units * input);
  order.forEach((ours, g) => {
    for (let u = 0; u < units; u++) {
      const row = (g * units + u) * input;
      const col = ours * units + u;
      for (let i = 0; i < input; i++) out[row + i] = values[i * G * units + col];
    }
  });
  return out;
}

/** `outputLayer`: where the graph computes its logits (the scoring head replaces it). */
export function buildRnnGraph(model: ModelWeights): { graph: Graph; parameters: number; outputLayer: OutputLayer } {
  const { embedding: E, units: U, layers: L, type } = model.config;
  const gru = type === 'gru';
  const G = gru ? 3 : 4;
  // ONNX gate order, as indices of our gate blocks
  const order = gru ? [0, 1, 2] : [0, 3, 1, 2];
  const V = model.vocabSize;
  const values = (name: string) => weightValues(model, name);
  const { nodes, initializers, op } = graphBuilder();
  let parameters = 0;
  const add = (name: string, dims: number[], data: Float32Array) => {
    initializers.push(floatTensor(name, dims, data));
    return name;
  };
  for (const v of model.params.values()) parameters += v.size;

  add('emb', [V, E], values('emb'));
  // [B, T, E] -> time-major [T, B, E], as the recurrent operators read it
  let x = op('Transpose', [op('Gather', ['emb', 'input_ids'], [{ name: 'axis', int: 0 }])], [{ name: 'perm', ints: [1, 0, 2] }]);
  const squeezeAxes = 'axis_1';
  initializers.push(int64Tensor(squeezeAxes, [1], [1]));
  for (let l = 0; l < L; l++) {
    const input = l === 0 ? E : U;
    const W = add(`l${l}.W`, [1, G * U, input], gateRows(values(`l${l}.wx`), input, U, order));
    const R = add(`l${l}.R`, [1, G * U, U], gateRows(values(`l${l}.wh`), U, U, order));
    const bx = values(`l${l}.b`);
    const bias = new Float32Array(2 * G * U);
    order.forEach((ours, g) => bias.set(bx.subarray(ours * U, (ours + 1) * U), g * U));
    if (gru) bias.set(values(`l${l}.bhn`), (G + 2) * U); // R_bh: the candidate's recurrent bias
    const B = add(`l${l}.B`, [1, 2 * G * U], bias);
    const attributes: Node['attributes'] = [{ name: 'hidden_size', int: U }, ...(gru ? [{ name: 'linear_before_reset', int: 1 }] : [])];
    const y = `y_${l}`;
    nodes.push({ op: gru ? 'GRU' : 'LSTM', inputs: [x, W, R, B], outputs: [y], attributes });
    x = op('Squeeze', [y, squeezeAxes]); // [T, 1, B, U] -> [T, B, U]
  }
  const states = op('Reshape', [op('Transpose', [x], [{ name: 'perm', ints: [1, 0, 2] }]), 'rows_shape']); // [B T, U]
  initializers.push(int64Tensor('rows_shape', [2], [-1, U]));
  const head = model.params.has('out.w')
    ? add('out.w', [U, V], values('out.w'))
    : add('emb_t', [U, V], transposeMatrix(values('emb'), V, U)); // tied: the embedding's transpose
  add('out.b', [V], values('out.b'));
  // Gemm adds the bias in the product's own pass; then back to [B, T, V] by the input's shape
  const batchTime = op('Shape', ['input_ids']);
  const logitsShape = op('Concat', [batchTime, 'vocab_dim'], [{ name: 'axis', int: 0 }]);
  initializers.push(int64Tensor('vocab_dim', [1], [V]));
  const flat = op('Gemm', [states, head, 'out.b']);
  nodes.push({ op: 'Reshape', inputs: [flat, logitsShape], outputs: ['logits'] });
  const graph = causalLmGraph(`codegen-eval-${type}`, nodes, initializers, V);
  return { graph, parameters, outputLayer: { product: flat, states, weight: head, bias: 'out.b', width: U, vocab: V } };
}
