/**
 * A built-in GPT as a decoder with a KV cache, in the layout Hugging Face Optimum exports GPT-2 with
 * past (`optimum-cli export onnx --task text-generation-with-past`) and transformers.js runs:
 *
 *   inputs   input_ids       [batch_size, sequence_length]                          int64
 *            attention_mask  [batch_size, past_sequence_length + sequence_length]   int64
 *            position_ids    [batch_size, sequence_length]                          int64
 *            past_key_values.{i}.key|value [batch_size, num_heads, past_sequence_length, head_dim]
 *   outputs  logits          [batch_size, sequence_length, vocab_size]
 *            present.{i}.key|value [batch_size, num_heads, past_sequence_length + sequence_length, head_dim]
 *
 * A call with an empty past (past_sequence_length 0) is a plain forward pass; each later call feeds
 * only the new tokens and the previous presents. Query i of the new tokens stands at absolute
 * position past + i and attends keys j <= past + i whose attention_mask is 1 (left padding is
 * masked). Attention is written in standard operators (onnxruntime's fused Attention keeps its past
 * in another layout); with `contribOps` the MLP's GELU is com.microsoft FastGelu. `lastPosition`
 * (the generation engine's variant) computes logits for the last position only: [batch, 1, vocab].
 */
import { DataType, floatTensor, int64Tensor, type Graph, type ValueInfo } from '../../util/onnx.ts';
import { graphBuilder, transposeMatrix, weightValues, type ModelWeights } from './graph.ts';

export interface DecoderGraph { graph: Graph; parameters: number; layers: number; heads: number; headDim: number }

export function buildGptDecoderGraph(model: ModelWeights, options: { contribOps?: boolean; lastPosition?: boolean } = {}): DecoderGraph {
  const contrib = options.contribOps ?? true;
  const V = model.vocabSize;
  const { width: d, heads: H, layers: L } = model.config;
  const hd = d / H;
  const { nodes, initializers, op } = graphBuilder();
  let parameters = 0;
  const weight = (name: string) => {
    const data = weightValues(model, name);
    initializers.push(floatTensor(name, model.params.get(name)!.shape, data));
    parameters += data.length;
    return name;
  };
  const constF = (name: string, value: number) => {
    initializers.push(floatTensor(name, [], Float32Array.of(value)));
    return name;
  };
  const constI = (name: string, values: number[], dims = [values.length]) => {
    initializers.push(int64Tensor(name, dims, values));
    return name;
  };
  const axis = (a: number) => [{ name: 'axis', int: a }];
  const layerNorm = (x: string, g: string, b: string) => op('LayerNormalization', [x, weight(g), weight(b)], [{ name: 'axis', int: -1 }, { name: 'epsilon', float: 1e-5 }]);

  // lengths: S new tokens, P past, T = P + S keys
  constI('zero', [0], []);
  constI('one', [1], []);
  constI('axes0', [0]);
  const newLength = op('Gather', [op('Shape', ['input_ids']), constI('index1', [1], [])], axis(0));
  const totalLength = op('Gather', [op('Shape', ['attention_mask']), 'index1'], axis(0));
  const pastLength = op('Sub', [totalLength, newLength]);
  // additive mask [B, 1, S, T]: -1e9 where key j > past + i (the future) or attention_mask is 0
  const queryPositions = op('Unsqueeze', [op('Range', [pastLength, totalLength, 'one']), constI('axes1', [1])]);
  const keyPositions = op('Unsqueeze', [op('Range', ['zero', totalLength, 'one']), 'axes0']);
  const future = op('Greater', [keyPositions, queryPositions]);
  const padded = op('Unsqueeze', [op('Equal', ['attention_mask', 'zero']), constI('axes12', [1, 2])]);
  const blocked = op('Or', [op('Unsqueeze', [op('Unsqueeze', [future, 'axes0']), 'axes0']), padded]);
  const mask = op('Where', [blocked, constF('minus_inf', -1e9), constF('zero_f', 0)]);

  let x = op('Add', [op('Gather', [weight('wte'), 'input_ids'], axis(0)), op('Gather', [weight('wpe'), 'position_ids'], axis(0))]);
  const headsShape = constI('heads_shape', [0, 0, H, hd]);
  const mergeShape = constI('merge_shape', [0, 0, d]);
  const split = constI('qkv_split', [d, d, d]);
  const scale = constF('attention_scale', 1 / Math.sqrt(hd));
  const toHeads = (t: string) => op('Transpose', [op('Reshape', [t, headsShape])], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
  const inputs: ValueInfo[] = [
    { name: 'input_ids', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', elemType: DataType.INT64, shape: ['batch_size', 'past_sequence_length + sequence_length'] },
    { name: 'position_ids', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
  ];
  const outputs: ValueInfo[] = [];
  const cacheShape = (length: string) => ['batch_size', H, length, hd];
  let h = layerNorm(x, 'h0.ln1.g', 'h0.ln1.b');
  for (let l = 0; l < L; l++) {
    const qkv = op('Add', [op('MatMul', [h, weight(`h${l}.attn.wqkv`)]), weight(`h${l}.attn.bqkv`)]);
    const [q, k, v] = ['q', 'k', 'v'].map((p) => `${p}_${l}`);
    nodes.push({ op: 'Split', inputs: [qkv, split], outputs: [q, k, v], attributes: axis(2) });
    const pastKey = `past_key_values.${l}.key`;
    const pastValue = `past_key_values.${l}.value`;
    inputs.push({ name: pastKey, elemType: DataType.FLOAT, shape: cacheShape('past_sequence_length') }, { name: pastValue, elemType: DataType.FLOAT, shape: cacheShape('past_sequence_length') });
    const presentKey = op('Concat', [pastKey, toHeads(k)], axis(2), `present.${l}.key`);
    const presentValue = op('Concat', [pastValue, toHeads(v)], axis(2), `present.${l}.value`);
    outputs.push({ name: presentKey, elemType: DataType.FLOAT, shape: cacheShape('past_sequence_length + sequence_length') }, { name: presentValue, elemType: DataType.FLOAT, shape: cacheShape('past_sequence_length + sequence_length') });
    const keysT = op('Transpose', [presentKey], [{ name: 'perm', ints: [0, 1, 3, 2] }]);
    const scores = op('Add', [op('Mul', [op('MatMul', [toHeads(q), keysT]), scale]), mask]);
    const attended = op('MatMul', [op('Softmax', [scores], axis(-1)), presentValue]);
    const y = op('Reshape', [op('Transpose', [attended], [{ name: 'perm', ints: [0, 2, 1, 3] }]), mergeShape]);
    x = op('Add', [x, op('Add', [op('MatMul', [y, weight(`h${l}.attn.wo`)]), weight(`h${l}.attn.bo`)])]);
    const a = op('MatMul', [layerNorm(x, `h${l}.ln2.g`, `h${l}.ln2.b`), weight(`h${l}.mlp.w1`)]);
    let gelu: string;
    if (contrib) {
      gelu = op('FastGelu', [a, weight(`h${l}.mlp.b1`)]);
      nodes[nodes.length - 1].domain = 'com.microsoft';
    } else {
      // 0.5 a (1 + tanh(sqrt(2 / pi) (a + 0.044715 a^3))), GPT-2's tanh form
      const ab = op('Add', [a, weight(`h${l}.mlp.b1`)]);
      const cube = op('Mul', [op('Mul', [ab, ab]), ab]);
      const inner = op('Mul', [op('Add', [ab, op('Mul', [cube, l === 0 ? constF('gelu_cubic', 0.044715) : 'gelu_cubic'])]), l === 0 ? constF('gelu_scale', Math.sqrt(2 / Math.PI)) : 'gelu_scale']);
      gelu = op('Mul', [op('Mul', [ab, l === 0 ? constF('half', 0.5) : 'half']), op('Add', [op('Tanh', [inner]), l === 0 ? constF('one_f', 1) : 'one_f'])]);
    }
    x = op('Add', [x, op('Add', [op('MatMul', [gelu, weight(`h${l}.mlp.w2`)]), weight(`h${l}.mlp.b2`)])]);
    h = l + 1 < L ? layerNorm(x, `h${l + 1}.ln1.g`, `h${l + 1}.ln1.b`) : layerNorm(x, 'lnf.g', 'lnf.b');
  }
  const states = options.lastPosition ? op('Slice', [h, constI('last_start', [-1]), constI('last_end', [2 ** 31 - 1]), constI('axis_1', [1])]) : h;
  let head: string;
  if (model.config.tiedEmbeddings) {
    initializers.push(floatTensor('lm_head', [d, V], transposeMatrix(weightValues(model, 'wte'), V, d)));
    head = 'lm_head';
  } else head = weight('lm_head');
  nodes.push({ op: 'MatMul', inputs: [states, head], outputs: ['logits'] });
  outputs.unshift({ name: 'logits', elemType: DataType.FLOAT, shape: ['batch_size', options.lastPosition ? 1 : 'sequence_length', V] });
  const graph: Graph = { name: 'codegen-eval-gpt-with-past', nodes, initializers, inputs, outputs };
  return { graph, parameters, layers: L, heads: H, headDim: hd };
}
