/**
 * The built-in GPT's ONNX graphs. `buildGptGraph` is the plain causal LM the scorer runs (inputs
 * input_ids and attention_mask [batch_size, sequence_length], all positions attending causally;
 * output logits), mirroring models/gpt.ts op for op: embeddings plus positions, pre-norm blocks
 * (LayerNormalization, causal attention with an additive mask sliced to the sequence length,
 * tanh-GELU MLP), final norm, output layer (the transposed embedding when tied).
 *
 * `exportGptToOnnx` writes the model in the layout Optimum exports GPT-2 with and transformers.js and
 * onnxruntime load: DIR/onnx/model.onnx is the decoder with past key values (`decoderGraph.ts`:
 * input_ids, attention_mask, position_ids, past_key_values.{i}.key|value in; logits and
 * present.{i}.key|value out), DIR/config.json (model_type gpt2, use_cache true),
 * DIR/generation_config.json, DIR/tokenizer.json and DIR/tokenizer_config.json.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { readModelFolder } from '../modelFolder.ts';
import { encodeModel, encodeModelWithExternalData, floatTensor, int64Tensor, type Graph } from '../../util/onnx.ts';
import type { OutputLayer } from './scoringHead.ts';
import { buildGptDecoderGraph } from './decoderGraph.ts';
import { causalLmGraph, graphBuilder, transposeMatrix, weightValues, type ModelWeights } from './graph.ts';

export interface ExportResult { dir: string; bytes: number; parameters: number }

/**
 * The ONNX graph of a GPT (models/gpt.ts) with its weights; serialised with encodeModel. With
 * `contribOps` (the default) attention and the MLP's GELU use onnxruntime's fused operators
 * (com.microsoft Attention, FastGelu with its bias), as onnxruntime's own transformer optimizer writes
 * GPT-2; without, only standard ONNX operators.
 */
export function buildGptGraph(model: ModelWeights, options: { contribOps?: boolean } = {}): { graph: Graph; parameters: number; outputLayer: OutputLayer } {
  const contrib = options.contribOps ?? true;
  const config = { model: model.config };
  const V = model.vocabSize;
  const { width: d, heads: H, layers: L, context } = config.model;
  const hd = d / H;
  const { nodes, initializers, op } = graphBuilder();
  let parameters = 0;
  const weight = (name: string) => {
    const data = weightValues(model, name);
    initializers.push(floatTensor(name, model.params.get(name)!.shape, data));
    parameters += data.length;
    return name;
  };
  const constants = new Set<string>();
  const constF = (name: string, value: number) => {
    if (!constants.has(name)) initializers.push(floatTensor(name, [], Float32Array.of(value)));
    constants.add(name);
    return name;
  };
  const constI = (name: string, values: number[], dims = [values.length]) => {
    initializers.push(int64Tensor(name, dims, values));
    return name;
  };
  const layerNorm = (x: string, g: string, b: string) => op('LayerNormalization', [x, weight(g), weight(b)], [{ name: 'axis', int: -1 }, { name: 'epsilon', float: 1e-5 }]);

  /** A value made on first use (no unused initializers: onnxruntime warns about each). */
  const once = (make: () => string) => {
    let name: string | undefined;
    return () => (name ??= make());
  };
  // positions, and the causal mask sized by the input's sequence length
  const shape = op('Shape', ['input_ids']);
  const seq = op('Gather', [shape, constI('one_index', [1], [])], [{ name: 'axis', int: 0 }]);
  const positions = op('Range', [constI('zero', [0], []), seq, constI('one', [1], [])]);
  const causalMask = once(() => {
    const mask = new Float32Array(context * context);
    for (let i = 0; i < context; i++) for (let j = i + 1; j < context; j++) mask[i * context + j] = -1e9;
    initializers.push(floatTensor('causal_mask', [context, context], mask));
    const seq1 = op('Unsqueeze', [seq, constI('axes0', [0])]);
    return op('Slice', ['causal_mask', constI('starts00', [0, 0]), op('Concat', [seq1, seq1], [{ name: 'axis', int: 0 }])]);
  });
  let x = op('Add', [op('Gather', [weight('wte'), 'input_ids'], [{ name: 'axis', int: 0 }]), op('Gather', [weight('wpe'), positions], [{ name: 'axis', int: 0 }])]);
  const heads = once(() => constI('heads_shape', [0, 0, H, hd]));
  const merge = once(() => constI('merge_shape', [0, 0, d]));
  const split = once(() => constI('qkv_split', [d, d, d]));
  /** Causal multi-head self-attention of h, in standard operators. */
  const attention = (h: string, l: number) => {
    const qkv = op('Add', [op('MatMul', [h, weight(`h${l}.attn.wqkv`)]), weight(`h${l}.attn.bqkv`)]);
    const [q, kk, v] = ['q', 'k', 'v'].map((p) => `${p}_${l}`);
    nodes.push({ op: 'Split', inputs: [qkv, split()], outputs: [q, kk, v], attributes: [{ name: 'axis', int: 2 }] });
    const qh = op('Transpose', [op('Reshape', [q, heads()])], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
    const kt = op('Transpose', [op('Reshape', [kk, heads()])], [{ name: 'perm', ints: [0, 2, 3, 1] }]);
    const vh = op('Transpose', [op('Reshape', [v, heads()])], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
    const scores = op('Add', [op('Mul', [op('MatMul', [qh, kt]), constF('attention_scale', 1 / Math.sqrt(hd))]), causalMask()]);
    const att = op('Softmax', [scores], [{ name: 'axis', int: -1 }]);
    return op('Reshape', [op('Transpose', [op('MatMul', [att, vh])], [{ name: 'perm', ints: [0, 2, 1, 3] }]), merge()]);
  };
  /** The same through onnxruntime's fused Attention (QKV projection, causal softmax, heads merged). */
  const fusedAttention = (h: string, l: number) => {
    const out = op('Attention', [h, weight(`h${l}.attn.wqkv`), weight(`h${l}.attn.bqkv`)], [{ name: 'num_heads', int: H }, { name: 'unidirectional', int: 1 }]);
    nodes[nodes.length - 1].domain = 'com.microsoft';
    return out;
  };
  /** GELU, tanh approximation, of a + bias: onnxruntime's fused operator. */
  const fastGelu = (a: string, bias: string) => {
    const out = op('FastGelu', [a, bias]);
    nodes[nodes.length - 1].domain = 'com.microsoft';
    return out;
  };
  /** GELU, tanh approximation, in standard operators: 0.5 a (1 + tanh(sqrt(2 / pi) (a + 0.044715 a^3))). */
  const geluTanh = (a: string) => {
    const cube = op('Mul', [op('Mul', [a, a]), a]);
    const inner = op('Mul', [op('Add', [a, op('Mul', [cube, constF('gelu_cubic', 0.044715)])]), constF('gelu_scale', Math.sqrt(2 / Math.PI))]);
    return op('Mul', [op('Mul', [a, constF('half', 0.5)]), op('Add', [op('Tanh', [inner]), constF('one_f', 1)])]);
  };
  let h = layerNorm(x, 'h0.ln1.g', 'h0.ln1.b');
  for (let l = 0; l < L; l++) {
    const y = contrib ? fusedAttention(h, l) : attention(h, l);
    x = op('Add', [x, op('Add', [op('MatMul', [y, weight(`h${l}.attn.wo`)]), weight(`h${l}.attn.bo`)])]);
    const h2 = layerNorm(x, `h${l}.ln2.g`, `h${l}.ln2.b`);
    const a = op('MatMul', [h2, weight(`h${l}.mlp.w1`)]);
    const gelu = contrib ? fastGelu(a, weight(`h${l}.mlp.b1`)) : geluTanh(op('Add', [a, weight(`h${l}.mlp.b1`)]));
    x = op('Add', [x, op('Add', [op('MatMul', [gelu, weight(`h${l}.mlp.w2`)]), weight(`h${l}.mlp.b2`)])]);
    h = l + 1 < L ? layerNorm(x, `h${l + 1}.ln1.g`, `h${l + 1}.ln1.b`) : layerNorm(x, 'lnf.g', 'lnf.b');
  }
  const final = h;
  let head: string;
  if (config.model.tiedEmbeddings) {
    initializers.push(floatTensor('lm_head', [d, V], transposeMatrix(weightValues(model, 'wte'), V, d)));
    head = 'lm_head';
  } else head = weight('lm_head');
  nodes.push({ op: 'MatMul', inputs: [final, head], outputs: ['logits'] });
  const graph = causalLmGraph('codegen-eval-gpt', nodes, initializers, V);
  return { graph, parameters, outputLayer: { product: 'logits', states: final, weight: head, width: d, vocab: V } };
}

/**
 * Write a built-in GPT as an ONNX model in the Hugging Face layout. `portable` keeps to standard ONNX
 * operators (any ONNX runtime); the default also uses onnxruntime's fused Attention and FastGelu.
 */
export async function exportGptToOnnx(modelSpec: string, outDir: string, options: { portable?: boolean; externalData?: boolean } = {}): Promise<ExportResult> {
  const { dir, config, tokenizer, checkpoint, weights: { params } } = await readModelFolder(modelSpec);
  if (config.model.type !== 'gpt') throw new UserError(`ONNX export supports GPT models; ${dir} is a ${config.model.type}`, { hint: 'score recurrent models with builtin:' });
  const { width: d, heads: H, layers: L, context } = config.model;
  const V = tokenizer.vocabSize;
  const { graph, parameters } = buildGptDecoderGraph({ config: config.model, vocabSize: V, params }, { contribOps: !options.portable });
  await mkdir(join(outDir, 'onnx'), { recursive: true });
  let size: number;
  if (options.externalData) {
    // Optimum's layout for models past protobuf's 2 GB: the graph in model.onnx, the weights beside it
    const { model, data } = encodeModelWithExternalData(graph, 'model.onnx_data');
    await writeFileAtomic(join(outDir, 'onnx', 'model.onnx_data'), data);
    await writeFileAtomic(join(outDir, 'onnx', 'model.onnx'), model);
    size = model.length + data.length;
  } else {
    const bytes = encodeModel(graph);
    await writeFileAtomic(join(outDir, 'onnx', 'model.onnx'), bytes);
    size = bytes.length;
  }
  const eos = tokenizer.tokenId('<|endoftext|>') ?? 0;
  const hfConfig = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: V,
    n_positions: context,
    n_ctx: context,
    n_embd: d,
    n_layer: L,
    n_head: H,
    bos_token_id: eos,
    eos_token_id: eos,
    use_cache: true,
    codegen_eval: { exported_from: dir, checkpoint, layout: 'decoder with past_key_values (Optimum text-generation-with-past)' },
  };
  await writeFileAtomic(join(outDir, 'config.json'), `${JSON.stringify(hfConfig, null, 2)}\n`);
  await writeFileAtomic(join(outDir, 'generation_config.json'), `${JSON.stringify({ bos_token_id: eos, eos_token_id: eos }, null, 2)}\n`);
  await copyFile(join(dir, 'tokenizer.json'), join(outDir, 'tokenizer.json'));
  await copyFile(join(dir, 'tokenizer_config.json'), join(outDir, 'tokenizer_config.json'));
  return { dir: outDir, bytes: size, parameters };
}
