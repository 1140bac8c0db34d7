/**
 * A built-in GPT as a decoder with a KV cache, in two layouts over the same blocks.
 *
 * `gptGraph` builds the blocks (models/gpt.ts op for op) around a layout's inputs, outputs and
 * attention; exportGpt.ts's `buildGptGraph` (the scorer's plain causal LM) is one more layout.
 *
 * `buildGptDecoderGraph`: the layout Hugging Face Optimum exports GPT-2 with past
 * (`optimum-cli export onnx --task text-generation-with-past`) and transformers.js runs:
 *
 *   inputs   input_ids       [batch_size, sequence_length]                          int64
 *            attention_mask  [batch_size, past_sequence_length + sequence_length]   int64
 *            position_ids    [batch_size, sequence_length]                          int64
 *            past_key_values.{i}.key|value [batch_size, num_heads, past_sequence_length, head_dim]
 *   outputs  logits          [batch_size, sequence_length, vocab_size]
 *            present.{i}.key|value [batch_size, num_heads, past_sequence_length + sequence_length, head_dim]
 *
 * Query i of the new tokens stands at absolute position past + i and attends keys j <= past + i whose
 * attention_mask is 1 (left padding is masked).
 *
 * `buildGptCacheSlotsGraph`: the generation engine's layout. The cache is a fixed buffer of slots the
 * caller owns (per layer, keys transposed [batch, heads, head_dim, slots] and values [batch, heads,
 * slots, head_dim]; `cache_mask` [batch, slots] says which hold a token); the graph reads it where it
 * lies and returns only the new tokens' keys and values (`new.{i}.key` [batch, heads, head_dim,
 * sequence], `new.{i}.value` [batch, heads, sequence, head_dim]), which the caller writes into the
 * next slots. Attention is computed over the cache and over the new tokens apart, the two score blocks
 * joined before one softmax, so no step copies the cache (a Concat of past and new copies it twice
 * per step, once in the graph and once more when onnxruntime-node returns the presents).
 *
 * Attention is in standard operators (onnxruntime's fused Attention keeps its past in another
 * layout); with `contribOps` the MLP's GELU is com.microsoft FastGelu. `lastPosition` computes
 * logits for the last position only: [batch, 1, vocab]; the engine's graph gives their log-softmax
 * (`logprobs`), so that greedy decoding is an argmax.
 */
import { DataType, floatTensor, int64Tensor, type Graph, type Node, type Tensor, type ValueInfo } from '../../util/onnx.ts';
import type { OutputLayer } from './scoringHead.ts';
import { graphBuilder, transposeMatrix, weightValues, type ModelWeights } from './graph.ts';

export interface DecoderGraph { graph: Graph; parameters: number; layers: number; heads: number; headDim: number }

type Op = ReturnType<typeof graphBuilder>['op'];

/**
 * What one layer's attention gets: the layer's normalised input h [B, S, d], its weights, the
 * standard projection to heads (q, k, v [B, H, S, hd], made on first call) and the merge of attended
 * heads back to [B, S, d]. It returns the attended states [B, S, d] (before the output projection).
 */
export interface AttentionInput { l: number; h: string; weight: (name: string) => string; heads: () => { q: string; k: string; v: string }; merge: (heads: string) => string }

/** What a layout adds to the shared blocks: its inputs and outputs, where positions come from, its attention. */
interface Layout {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** The positions [B, S] to embed (default: the input position_ids). */
  positions?: string;
  attention: (a: AttentionInput) => string;
  /** Names for each layer's new keys and values (when they are outputs). */
  names?: { key: (l: number) => string; value: (l: number) => string };
}

interface Builder { op: Op; nodes: Node[]; constI: (n: string, v: number[], d?: number[]) => string; constF: (n: string, v: number) => string; initializers: Tensor[] }

export interface GptGraph extends DecoderGraph { outputLayer: OutputLayer }

/** The GPT's blocks (models/gpt.ts op for op) around a layout's attention. */
export function gptGraph(model: ModelWeights, options: { contribOps?: boolean; lastPosition?: boolean; logSoftmax?: boolean; scaledQueries?: boolean }, name: string, setUp: (b: Builder) => Layout): GptGraph {
  const contrib = options.contribOps ?? true;
  const V = model.vocabSize;
  const { width: d, heads: H, layers: L } = model.config;
  const hd = d / H;
  const { nodes, initializers, op } = graphBuilder();
  let parameters = 0;
  const weight = (n: string) => {
    const data = weightValues(model, n);
    initializers.push(floatTensor(n, model.params.get(n)!.shape, data));
    parameters += data.length;
    return n;
  };
  /** wqkv or bqkv with the query columns (the first d of each row) times 1 / sqrt(head_dim). */
  const scaledQueryWeight = (n: string, width: number) => {
    const data = weightValues(model, n);
    const columns = 3 * width;
    for (let i = 0; i < data.length; i++) if (i % columns < width) data[i] /= Math.sqrt(hd);
    initializers.push(floatTensor(n, model.params.get(n)!.shape, data));
    parameters += data.length;
    return n;
  };
  const made = new Set<string>();
  const constF = (n: string, value: number) => {
    if (!made.has(n)) initializers.push(floatTensor(n, [], Float32Array.of(value)));
    made.add(n);
    return n;
  };
  const constI = (n: string, values: number[], dims = [values.length]) => {
    if (!made.has(n)) initializers.push(int64Tensor(n, dims, values));
    made.add(n);
    return n;
  };
  const axis = (a: number) => [{ name: 'axis', int: a }];
  const layerNorm = (x: string, g: string, b: string) => op('LayerNormalization', [x, weight(g), weight(b)], [{ name: 'axis', int: -1 }, { name: 'epsilon', float: 1e-5 }]);
  const { inputs, outputs, attention, names, positions } = setUp({ op, nodes, constI, constF, initializers });

  let x = op('Add', [op('Gather', [weight('wte'), 'input_ids'], axis(0)), op('Gather', [weight('wpe'), positions ?? 'position_ids'], axis(0))]);
  const headsShape = () => constI('heads_shape', [0, 0, H, hd]);
  const mergeShape = () => constI('merge_shape', [0, 0, d]);
  const split = () => constI('qkv_split', [d, d, d]);
  const toHeads = (t: string, output?: string) => op('Transpose', [op('Reshape', [t, headsShape()])], [{ name: 'perm', ints: [0, 2, 1, 3] }], output);
  let h = layerNorm(x, 'h0.ln1.g', 'h0.ln1.b');
  for (let l = 0; l < L; l++) {
    const input = h;
    let projected: { q: string; k: string; v: string } | undefined;
    const heads = () => {
      if (projected) return projected;
      const qkv = options.scaledQueries
        ? op('Add', [op('MatMul', [input, scaledQueryWeight(`h${l}.attn.wqkv`, d)]), scaledQueryWeight(`h${l}.attn.bqkv`, d)])
        : op('Add', [op('MatMul', [input, weight(`h${l}.attn.wqkv`)]), weight(`h${l}.attn.bqkv`)]);
      const [q, k, v] = ['q', 'k', 'v'].map((p) => `${p}_${l}`);
      nodes.push({ op: 'Split', inputs: [qkv, split()], outputs: [q, k, v], attributes: axis(2) });
      return (projected = { q: toHeads(q), k: toHeads(k, names?.key(l)), v: toHeads(v, names?.value(l)) });
    };
    const merge = (attended: string) => op('Reshape', [op('Transpose', [attended], [{ name: 'perm', ints: [0, 2, 1, 3] }]), mergeShape()]);
    const y = attention({ l, h: input, weight, heads, merge });
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
      const inner = op('Mul', [op('Add', [ab, op('Mul', [cube, constF('gelu_cubic', 0.044715)])]), constF('gelu_scale', Math.sqrt(2 / Math.PI))]);
      gelu = op('Mul', [op('Mul', [ab, constF('half', 0.5)]), op('Add', [op('Tanh', [inner]), constF('one_f', 1)])]);
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
  const logits = options.logSoftmax ? 'logits_raw' : 'logits';
  nodes.push({ op: 'MatMul', inputs: [states, head], outputs: [logits] });
  if (options.logSoftmax) nodes.push({ op: 'LogSoftmax', inputs: [logits], outputs: ['logprobs'], attributes: [{ name: 'axis', int: -1 }] });
  outputs.unshift({ name: options.logSoftmax ? 'logprobs' : 'logits', elemType: DataType.FLOAT, shape: ['batch_size', options.lastPosition ? 1 : 'sequence_length', V] });
  return { graph: { name, nodes, initializers, inputs, outputs }, parameters, layers: L, heads: H, headDim: hd, outputLayer: { product: logits, states, weight: head, width: d, vocab: V } };
}

const idsInput = (name: string, length: string): ValueInfo => ({ name, elemType: DataType.INT64, shape: ['batch_size', length] });

/** Optimum's decoder with past: past and new keys concatenated into the presents. */
export function buildGptDecoderGraph(model: ModelWeights, options: { contribOps?: boolean; lastPosition?: boolean } = {}): GptGraph {
  const { heads: H, width: d } = model.config;
  const hd = d / H;
  const cacheShape = (length: string) => ['batch_size', H, length, hd];
  return gptGraph(model, options, 'codegen-eval-gpt-with-past', ({ op, constI, constF }) => {
    const axis = (a: number) => [{ name: 'axis', int: a }];
    const inputs: ValueInfo[] = [idsInput('input_ids', 'sequence_length'), idsInput('attention_mask', 'past_sequence_length + sequence_length'), idsInput('position_ids', 'sequence_length')];
    const outputs: ValueInfo[] = [];
    // lengths: S new tokens, T = past + S keys; additive mask [B, 1, S, T]: -1e9 on the future and on padding
    const zero = constI('zero', [0], []);
    const one = constI('one', [1], []);
    const index1 = constI('index1', [1], []);
    const newLength = op('Gather', [op('Shape', ['input_ids']), index1], axis(0));
    const totalLength = op('Gather', [op('Shape', ['attention_mask']), index1], axis(0));
    const queryPositions = op('Unsqueeze', [op('Range', [op('Sub', [totalLength, newLength]), totalLength, one]), constI('axes1', [1])]);
    const keyPositions = op('Unsqueeze', [op('Range', [zero, totalLength, one]), constI('axes0', [0])]);
    const future = op('Unsqueeze', [op('Greater', [keyPositions, queryPositions]), constI('axes01', [0, 1])]);
    const padded = op('Unsqueeze', [op('Equal', ['attention_mask', zero]), constI('axes12', [1, 2])]);
    const mask = op('Where', [op('Or', [future, padded]), constF('minus_inf', -1e9), constF('zero_f', 0)]);
    const scale = constF('attention_scale', 1 / Math.sqrt(hd));
    const attention = ({ l, heads, merge }: AttentionInput) => {
      const { q, k, v } = heads();
      const pastKey = `past_key_values.${l}.key`;
      const pastValue = `past_key_values.${l}.value`;
      inputs.push({ name: pastKey, elemType: DataType.FLOAT, shape: cacheShape('past_sequence_length') }, { name: pastValue, elemType: DataType.FLOAT, shape: cacheShape('past_sequence_length') });
      const presentKey = op('Concat', [pastKey, k], axis(2), `present.${l}.key`);
      const presentValue = op('Concat', [pastValue, v], axis(2), `present.${l}.value`);
      outputs.push({ name: presentKey, elemType: DataType.FLOAT, shape: cacheShape('past_sequence_length + sequence_length') }, { name: presentValue, elemType: DataType.FLOAT, shape: cacheShape('past_sequence_length + sequence_length') });
      const scores = op('Add', [op('Mul', [op('MatMul', [q, op('Transpose', [presentKey], [{ name: 'perm', ints: [0, 1, 3, 2] }])]), scale]), mask]);
      return merge(op('MatMul', [op('Softmax', [scores], axis(-1)), presentValue]));
    };
    return { inputs, outputs, attention };
  });
}

/** The engine's decoder over a cache of slots it reads in place; see the file's header. */
export function buildGptCacheSlotsGraph(model: ModelWeights, options: { contribOps?: boolean } = {}): GptGraph {
  const { heads: H, width: d } = model.config;
  const hd = d / H;
  return gptGraph(model, { ...options, lastPosition: true, logSoftmax: true, scaledQueries: true }, 'codegen-eval-gpt-cache-slots', ({ op, nodes, constI, constF }) => {
    const axis = (a: number) => [{ name: 'axis', int: a }];
    const inputs: ValueInfo[] = [idsInput('input_ids', 'sequence_length'), idsInput('position_ids', 'sequence_length'), idsInput('new_mask', 'sequence_length'), idsInput('cache_mask', 'slots')];
    const outputs: ValueInfo[] = [];
    const zero = constI('zero', [0], []);
    const one = constI('one', [1], []);
    const minusInf = constF('minus_inf', -1e9);
    const zeroF = constF('zero_f', 0);
    // [B, 1, 1, slots]: empty slots and padding blocked
    const cacheMask = op('Where', [op('Unsqueeze', [op('Equal', ['cache_mask', zero]), constI('axes12', [1, 2])]), minusInf, zeroF]);
    // [B, 1, S, S]: among the new tokens, the future and padding blocked
    const S = op('Gather', [op('Shape', ['input_ids']), constI('index1', [1], [])], axis(0));
    const positions = op('Range', [zero, S, one]);
    const future = op('Greater', [op('Unsqueeze', [positions, constI('axes0', [0])]), op('Unsqueeze', [positions, constI('axes1', [1])])]);
    const newMask = op('Where', [op('Or', [op('Unsqueeze', [future, constI('axes01', [0, 1])]), op('Unsqueeze', [op('Equal', ['new_mask', zero]), 'axes12'])]), minusInf, zeroF]);
    const valueSlots = ['batch_size', H, 'slots', hd];
    const keySlots = ['batch_size', H, hd, 'slots'];
    // the split of each layer's attention weights into cache and new parts: [slots, S], once
    const slots = op('Gather', [op('Shape', ['cache_mask']), constI('index1b', [1], [])], axis(0));
    const sizes = op('Concat', [op('Unsqueeze', [slots, constI('axes0', [0])]), op('Unsqueeze', [S, constI('axes0', [0])])], axis(0));
    const attention = ({ l, heads, merge }: AttentionInput) => {
      const { q, k, v } = heads();
      const cacheKey = `cache.${l}.key`;
      const cacheValue = `cache.${l}.value`;
      inputs.push({ name: cacheKey, elemType: DataType.FLOAT, shape: keySlots }, { name: cacheValue, elemType: DataType.FLOAT, shape: valueSlots });
      // keys are kept transposed, [B, H, hd, slots], so that q k^T is a plain product over the cache as it lies
      const keyT = op('Transpose', [k], [{ name: 'perm', ints: [0, 1, 3, 2] }], `new.${l}.key`);
      outputs.push({ name: keyT, elemType: DataType.FLOAT, shape: ['batch_size', H, hd, 'sequence_length'] }, { name: v, elemType: DataType.FLOAT, shape: ['batch_size', H, 'sequence_length', hd] });
      // the queries come scaled by 1 / sqrt(head_dim) from their weights: a Mul here would be fused
      // into com.microsoft FusedMatMul, which runs these batched products at half the speed of MatMul
      const qs = q;
      const weights = op('Softmax', [op('Concat', [op('Add', [op('MatMul', [qs, cacheKey]), cacheMask]), op('Add', [op('MatMul', [qs, keyT]), newMask])], axis(-1))], axis(-1));
      const [wCache, wNew] = [`w_cache_${l}`, `w_new_${l}`];
      nodes.push({ op: 'Split', inputs: [weights, sizes], outputs: [wCache, wNew], attributes: axis(-1) });
      return merge(op('Add', [op('MatMul', [wCache, cacheValue]), op('MatMul', [wNew, v])]));
    };
    return { inputs, outputs, attention, names: { key: (l: number) => `k_heads_${l}`, value: (l: number) => `new.${l}.value` } };
  });
}
