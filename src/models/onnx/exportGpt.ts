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
import { readFileSync } from 'node:fs';
import { checkOutputFolder } from '../../util/outputs.ts';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { readModelFolder } from '../modelFolder.ts';
import { encodeModel, encodeModelWithExternalData, floatTensor, type Graph } from '../../util/onnx.ts';
import type { OutputLayer } from './scoringHead.ts';
import { buildGptDecoderGraph, gptGraph, type AttentionInput } from './decoderGraph.ts';
import { causalLmGraph, type ModelWeights } from './graph.ts';

export interface ExportResult { dir: string; bytes: number; parameters: number }

/**
 * The ONNX graph of a GPT (models/gpt.ts) with its weights, as the scorer runs it: GPT-2's inputs
 * input_ids and attention_mask [batch_size, sequence_length] (all positions attend causally), logits
 * out. With `contribOps` (the default) attention is onnxruntime's fused com.microsoft Attention and
 * the MLP's GELU FastGelu, as onnxruntime's transformer optimizer writes GPT-2; without, standard
 * ONNX operators only.
 */
export function buildGptGraph(model: ModelWeights, options: { contribOps?: boolean } = {}): { graph: Graph; parameters: number; outputLayer: OutputLayer } {
  const contrib = options.contribOps ?? true;
  const { heads: H, width: d, context } = model.config;
  const hd = d / H;
  const built = gptGraph(model, { contribOps: contrib }, 'codegen-eval-gpt', ({ op, nodes, constI, constF, initializers }) => {
    const axis = (a: number) => [{ name: 'axis', int: a }];
    // positions, and the causal mask sized by the input's sequence length
    const seq = op('Gather', [op('Shape', ['input_ids']), constI('one_index', [1], [])], axis(0));
    const positions = op('Range', [constI('zero', [0], []), seq, constI('one', [1], [])]);
    let causalMask: string | undefined;
    const mask = () => {
      if (causalMask) return causalMask;
      const values = new Float32Array(context * context);
      for (let i = 0; i < context; i++) for (let j = i + 1; j < context; j++) values[i * context + j] = -1e9;
      initializers.push(floatTensor('causal_mask', [context, context], values));
      const seq1 = op('Unsqueeze', [seq, constI('axes0', [0])]);
      return (causalMask = op('Slice', ['causal_mask', constI('starts00', [0, 0]), op('Concat', [seq1, seq1], axis(0))]));
    };
    const attention = ({ l, h, weight, heads, merge }: AttentionInput) => {
      if (contrib) {
        // QKV projection, causal softmax and the heads' merge in one operator
        const out = op('Attention', [h, weight(`h${l}.attn.wqkv`), weight(`h${l}.attn.bqkv`)], [{ name: 'num_heads', int: H }, { name: 'unidirectional', int: 1 }]);
        nodes[nodes.length - 1].domain = 'com.microsoft';
        return out;
      }
      const { q, k, v } = heads();
      const kt = op('Transpose', [k], [{ name: 'perm', ints: [0, 1, 3, 2] }]);
      const scores = op('Add', [op('Mul', [op('MatMul', [q, kt]), constF('attention_scale', 1 / Math.sqrt(hd))]), mask()]);
      return merge(op('MatMul', [op('Softmax', [scores], axis(-1)), v]));
    };
    return { inputs: [], outputs: [], positions, attention };
  });
  const graph = causalLmGraph('codegen-eval-gpt', built.graph.nodes, built.graph.initializers, model.vocabSize);
  return { graph, parameters: built.parameters, outputLayer: built.outputLayer };
}

/**
 * Write a built-in GPT as an ONNX model in the Hugging Face layout. `portable` keeps to standard ONNX
 * operators (any ONNX runtime); the default also uses onnxruntime's fused Attention and FastGelu.
 */
export async function exportGptToOnnx(modelSpec: string, outDir: string, options: { portable?: boolean; externalData?: boolean } = {}): Promise<ExportResult> {
  checkOutputFolder(outDir, {
    what: 'Hugging Face model folder', marker: 'config.json', formats: [],
    isOurs: (folder) => {
      try {
        return typeof (JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { codegen_eval?: unknown }).codegen_eval === 'object';
      } catch {
        return false;
      }
    },
  });
  const { dir, config, tokenizer, checkpoint, weights: { params } } = await readModelFolder(modelSpec);
  checkOutputFolder(outDir, { what: 'Hugging Face model folder', marker: 'config.json', formats: [], isOurs: () => true, inputs: [dir] });
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
