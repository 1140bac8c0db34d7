/**
 * Helpers for building causal language models' ONNX graphs (the export and the scorer's in-memory
 * graphs); the protobuf writer itself is util/onnx.ts.
 */
import type { ModelConfig } from '../../train/config.ts';
import { UserError } from '../../util/errors.ts';
import type { Graph, Node, Tensor } from '../../util/onnx.ts';
import { DataType } from '../../util/onnx.ts';

/**
 * A causal language model's graph with GPT-2's signature: inputs input_ids and attention_mask
 * [batch_size, sequence_length] (int64), output logits [batch_size, sequence_length, vocab].
 */
export function causalLmGraph(name: string, nodes: Node[], initializers: Tensor[], vocab: number): Graph {
  const positions = ['batch_size', 'sequence_length'];
  return {
    name,
    nodes,
    initializers,
    inputs: [
      { name: 'input_ids', elemType: DataType.INT64, shape: positions },
      { name: 'attention_mask', elemType: DataType.INT64, shape: positions },
    ],
    outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: [...positions, vocab] }],
  };
}

/** The nodes and initializers of a graph being built; `op` adds a node and names its output. */
export function graphBuilder(prefix = ''): { nodes: Node[]; initializers: Tensor[]; op: (type: string, inputs: string[], attributes?: Node['attributes'], output?: string) => string } {
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  let k = 0;
  const op = (type: string, inputs: string[], attributes?: Node['attributes'], output?: string) => {
    const out = output ?? `${prefix}${type.toLowerCase()}_${k++}`;
    nodes.push({ op: type, inputs, outputs: [out], attributes });
    return out;
  };
  return { nodes, initializers, op };
}

/**
 * What a graph is built from: a model's config, vocabulary size and named parameters, as
 * tf.Variables or as a checkpoint's arrays (train/checkpoint.ts readCheckpointWeights).
 */
export interface ModelWeights {
  config: ModelConfig;
  vocabSize: number;
  params: ReadonlyMap<string, { shape: number[]; size: number; dataSync(): ArrayLike<number> }>;
}

/** A parameter's values, copied (initializers own their bytes); a clear error when the checkpoint lacks it. */
export function weightValues(model: ModelWeights, name: string): Float32Array {
  const v = model.params.get(name);
  if (!v) throw new UserError(`the checkpoint has no parameter '${name}' for this ${model.config.type} configuration`, { hint: 'the model folder\'s config.json and its checkpoint disagree: score the checkpoint with the config of the run that wrote it' });
  return Float32Array.from(v.dataSync());
}

/** [cols, rows] from row-major [rows, cols]. */
export function transposeMatrix(values: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}
