/**
 * A minimal writer of ONNX protobuf messages (onnx.proto, IR version 8): just what exporting a model
 * needs. Protobuf encoding (https://protobuf.dev/programming-guides/encoding/): each field is a key
 * varint (field number << 3 | wire type) then a varint (wire type 0), or a length and bytes (type 2).
 */

export type Bytes = Uint8Array;

class Writer {
  private readonly parts: Bytes[] = [];
  private length = 0;

  private push(b: Bytes): void {
    this.parts.push(b);
    this.length += b.length;
  }

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
    return this;
  }

  key(field: number, wire: 0 | 2 | 5): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, value: number | bigint): this {
    return this.key(field, 0).varint(value);
  }

  bytes(field: number, value: Bytes): this {
    this.key(field, 2).varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  packedInts(field: number, values: readonly number[]): this {
    const w = new Writer();
    for (const v of values) w.varint(v);
    return this.message(field, w);
  }

  finish(): Bytes {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

export const DataType = { FLOAT: 1, INT64: 7 } as const;

export interface Tensor {
  name: string;
  dims: number[];
  dataType: number;
  raw: Bytes;
}

export function floatTensor(name: string, dims: number[], values: Float32Array): Tensor {
  return { name, dims, dataType: DataType.FLOAT, raw: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function int64Tensor(name: string, dims: number[], values: number[]): Tensor {
  const b = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims, dataType: DataType.INT64, raw: new Uint8Array(b.buffer) };
}

export type Attribute =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; ints: number[] }
  | { name: string; tensor: Tensor };

export interface Node {
  op: string;
  inputs: string[];
  /** '' leaves an optional output out. */
  outputs: string[];
  name?: string;
  /** The operator set: the default ONNX domain when absent, or e.g. onnxruntime's com.microsoft. */
  domain?: string;
  attributes?: Attribute[];
}

export interface ValueInfo {
  name: string;
  elemType: number;
  /** numbers are fixed sizes, strings symbolic (batch_size, sequence_length). */
  shape: (number | string)[];
}

/** TensorProto field numbers (onnx.proto). */
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9, externalData: 13, dataLocation: 14 } as const;
const DATA_LOCATION_EXTERNAL = 1;

/** Where an initializer's bytes went when the model keeps its weights in a separate file. */
interface ExternalPlacement { location: string; offset: number; length: number }

function tensorMessage(t: Tensor, external?: ExternalPlacement): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(TENSOR.dims, d);
  w.int(TENSOR.dataType, t.dataType);
  w.string(TENSOR.name, t.name);
  if (!external) return w.bytes(TENSOR.rawData, t.raw);
  for (const [key, value] of [['location', external.location], ['offset', String(external.offset)], ['length', String(external.length)]]) {
    w.message(TENSOR.externalData, new Writer().string(1, key).string(2, value));
  }
  return w.int(TENSOR.dataLocation, DATA_LOCATION_EXTERNAL);
}

function attributeMessage(a: Attribute): Writer {
  const w = new Writer().string(1, a.name);
  if ('int' in a) w.int(3, a.int).int(20, 2);
  else if ('float' in a) w.float(2, a.float).int(20, 1);
  else if ('ints' in a) w.packedInts(8, a.ints).int(20, 7);
  else w.message(5, tensorMessage(a.tensor)).int(20, 4);
  return w;
}

function valueInfoMessage(v: ValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.shape) shape.message(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().string(2, d));
  const tensorType = new Writer().int(1, v.elemType).message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensorType));
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

/**
 * Serialise a model with its initializers' bytes in a separate file `location` (beside the model, as
 * Optimum writes models above protobuf's 2 GB limit: `model.onnx` + `model.onnx_data`), each tensor
 * of 1 KiB or more (onnx.external_data_helper's size_threshold) aligned to 4 KiB as that helper does.
 */
export function encodeModelWithExternalData(graph: Graph, location: string, opset = 17, producer = 'codegen-eval'): { model: Bytes; data: Bytes } {
  const placements = new Map<Tensor, ExternalPlacement>();
  let offset = 0;
  for (const t of graph.initializers) {
    // small tensors (shapes, constants) stay inline: onnxruntime's shape inference reads them
    if (t.raw.length < 1024) continue;
    offset = Math.ceil(offset / 4096) * 4096;
    placements.set(t, { location, offset, length: t.raw.length });
    offset += t.raw.length;
  }
  const data = new Uint8Array(offset);
  for (const [t, p] of placements) data.set(t.raw, p.offset);
  return { model: encodeModel(graph, opset, producer, placements), data };
}

/** Serialise a model: IR version 8, default domain at `opset`, other domains used by nodes at 1. */
export function encodeModel(graph: Graph, opset = 17, producer = 'codegen-eval', external?: Map<Tensor, ExternalPlacement>): Bytes {
  const g = new Writer();
  graph.nodes.forEach((n, k) => {
    const w = new Writer();
    for (const i of n.inputs) w.string(1, i);
    for (const o of n.outputs) w.string(2, o);
    w.string(3, n.name ?? `${n.op}_${k}`);
    w.string(4, n.op);
    for (const a of n.attributes ?? []) w.message(5, attributeMessage(a));
    if (n.domain) w.string(7, n.domain);
    g.message(1, w);
  });
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, tensorMessage(t, external?.get(t)));
  for (const v of graph.inputs) g.message(11, valueInfoMessage(v));
  for (const v of graph.outputs) g.message(12, valueInfoMessage(v));
  const m = new Writer();
  m.int(1, 8); // ir_version
  m.string(2, producer);
  m.message(7, g);
  m.message(8, new Writer().string(1, '').int(2, opset));
  for (const domain of new Set(graph.nodes.flatMap((n) => (n.domain ? [n.domain] : [])))) m.message(8, new Writer().string(1, domain).int(2, 1));
  return m.finish();
}
