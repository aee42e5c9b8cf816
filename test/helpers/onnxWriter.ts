/**
 * A minimal ONNX model encoder: just enough of the protobuf wire format to serialise a
 * ModelProto that onnxruntime can load, without a protobuf library or the Python `onnx` package.
 *
 * Field numbers follow onnx/onnx.proto (IR version 8):
 *   ModelProto          ir_version=1, producer_name=2, graph=7, opset_import=8
 *   OperatorSetIdProto  domain=1, version=2
 *   GraphProto          node=1, name=2, initializer=5, input=11, output=12
 *   NodeProto           input=1, output=2, name=3, op_type=4, attribute=5
 *   AttributeProto      name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, type=20
 *   TensorProto         dims=1, data_type=2, name=8, raw_data=9
 *   ValueInfoProto      name=1, type=2
 *   TypeProto           tensor_type=1;  TypeProto.Tensor  elem_type=1, shape=2
 *   TensorShapeProto    dim=1;  Dimension  dim_value=1, dim_param=2
 *
 * Tensor contents always go to `raw_data` (little-endian bytes). Repeated scalar fields
 * (dims, ints, floats) are written unpacked, as onnx.proto is proto2 and does not declare
 * them `[packed = true]`; protobuf parsers accept either form, unpacked is the canonical one.
 */

/** TensorProto.DataType values used by this encoder. */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
} as const;
export type OnnxDataType = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** A tensor (initializer or attribute value) whose contents are already serialised. */
export interface OnnxTensor {
  name: string;
  dataType: OnnxDataType;
  dims: readonly number[];
  rawData: Uint8Array;
}

export type OnnxAttribute =
  | { name: string; kind: 'int'; value: number }
  | { name: string; kind: 'float'; value: number }
  | { name: string; kind: 'ints'; value: readonly number[] }
  | { name: string; kind: 'floats'; value: readonly number[] }
  | { name: string; kind: 'string'; value: string }
  | { name: string; kind: 'tensor'; value: OnnxTensor };

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: readonly OnnxAttribute[];
}

/** A graph input or output: element type plus a shape of fixed sizes and/or symbolic names. */
export interface OnnxValueInfo {
  name: string;
  elemType: OnnxDataType;
  shape: readonly (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxModelOptions {
  /** Defaults to 8 (ONNX 1.10+). */
  irVersion?: number;
  /** Version of the default ("ai.onnx") operator set; defaults to 14. */
  opsetVersion?: number;
  producerName?: string;
}

// ---------------------------------------------------------------------------------------------
// Protobuf wire format
// ---------------------------------------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Appends protobuf fields to a growing list of byte chunks. */
class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];

  /** An int32/int64/enum field. Negative values take 10 bytes (64-bit two's complement), as in protobuf. */
  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.chunks.push(encodeVarint(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.chunks.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.chunks.push(encodeVarint(value.length), value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, nested: ProtoWriter): this {
    return this.bytes(field, nested.finish());
  }

  finish(): Uint8Array {
    return concatBytes(this.chunks);
  }

  private tag(field: number, wireType: number): void {
    this.chunks.push(encodeVarint((field << 3) | wireType));
  }
}

function encodeVarint(value: number | bigint): Uint8Array {
  let remaining = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low7 = Number(remaining & 0x7fn);
    remaining >>= 7n;
    out.push(remaining === 0n ? low7 : low7 | 0x80);
  } while (remaining !== 0n);
  return Uint8Array.from(out);
}

function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tensors
// ---------------------------------------------------------------------------------------------

function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

function assertLength(name: string, dims: readonly number[], length: number): void {
  if (elementCount(dims) !== length) {
    throw new Error(
      `tensor ${name}: dims [${dims.join(', ')}] need ${elementCount(dims)} values, got ${length}`,
    );
  }
}

/** A float32 tensor; `dims = []` makes a scalar. */
export function float32Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): OnnxTensor {
  assertLength(name, dims, values.length);
  const rawData = new Uint8Array(values.length * 4);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return { name, dataType: OnnxDataType.FLOAT, dims, rawData };
}

/** An int64 tensor; `dims = []` makes a scalar. */
export function int64Tensor(
  name: string,
  dims: readonly number[],
  values: ArrayLike<number | bigint>,
): OnnxTensor {
  assertLength(name, dims, values.length);
  const rawData = new Uint8Array(values.length * 8);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i]!), true);
  return { name, dataType: OnnxDataType.INT64, dims, rawData };
}

/** An int8 tensor (values must already be integers in [-128, 127]); `dims = []` makes a scalar. */
export function int8Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): OnnxTensor {
  assertLength(name, dims, values.length);
  const rawData = new Uint8Array(values.length);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isInteger(value) || value < -128 || value > 127) {
      throw new Error(`tensor ${name}: ${value} is not an int8`);
    }
    view.setInt8(i, value);
  }
  return { name, dataType: OnnxDataType.INT8, dims, rawData };
}

function tensorProto(tensor: OnnxTensor): ProtoWriter {
  const writer = new ProtoWriter();
  for (const dim of tensor.dims) writer.varint(1, dim);
  return writer.varint(2, tensor.dataType).string(8, tensor.name).bytes(9, tensor.rawData);
}

// ---------------------------------------------------------------------------------------------
// Attributes
// ---------------------------------------------------------------------------------------------

/** AttributeProto.AttributeType values. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** Shorthand constructors for node attributes. */
export const attr = {
  int: (name: string, value: number): OnnxAttribute => ({ name, kind: 'int', value }),
  float: (name: string, value: number): OnnxAttribute => ({ name, kind: 'float', value }),
  ints: (name: string, value: readonly number[]): OnnxAttribute => ({ name, kind: 'ints', value }),
  floats: (name: string, value: readonly number[]): OnnxAttribute => ({ name, kind: 'floats', value }),
  string: (name: string, value: string): OnnxAttribute => ({ name, kind: 'string', value }),
  tensor: (name: string, value: OnnxTensor): OnnxAttribute => ({ name, kind: 'tensor', value }),
};

function attributeProto(attribute: OnnxAttribute): ProtoWriter {
  const writer = new ProtoWriter().string(1, attribute.name);
  switch (attribute.kind) {
    case 'float':
      return writer.float(2, attribute.value).varint(20, AttributeType.FLOAT);
    case 'int':
      return writer.varint(3, attribute.value).varint(20, AttributeType.INT);
    case 'string':
      return writer.string(4, attribute.value).varint(20, AttributeType.STRING);
    case 'tensor':
      return writer.message(5, tensorProto(attribute.value)).varint(20, AttributeType.TENSOR);
    case 'floats':
      for (const value of attribute.value) writer.float(7, value);
      return writer.varint(20, AttributeType.FLOATS);
    case 'ints':
      for (const value of attribute.value) writer.varint(8, value);
      return writer.varint(20, AttributeType.INTS);
  }
}

// ---------------------------------------------------------------------------------------------
// Nodes, value infos, graph, model
// ---------------------------------------------------------------------------------------------

function nodeProto(node: OnnxNode): ProtoWriter {
  const writer = new ProtoWriter();
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  if (node.name) writer.string(3, node.name);
  writer.string(4, node.opType);
  for (const attribute of node.attributes ?? []) writer.message(5, attributeProto(attribute));
  return writer;
}

function dimensionProto(dim: number | string): ProtoWriter {
  return typeof dim === 'number' ? new ProtoWriter().varint(1, dim) : new ProtoWriter().string(2, dim);
}

function valueInfoProto(info: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.shape) shape.message(1, dimensionProto(dim));
  const tensorType = new ProtoWriter().varint(1, info.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, info.name).message(2, type);
}

function graphProto(graph: OnnxGraph): ProtoWriter {
  const writer = new ProtoWriter();
  for (const node of graph.nodes) writer.message(1, nodeProto(node));
  writer.string(2, graph.name);
  for (const tensor of graph.initializers) writer.message(5, tensorProto(tensor));
  for (const input of graph.inputs) writer.message(11, valueInfoProto(input));
  for (const output of graph.outputs) writer.message(12, valueInfoProto(output));
  return writer;
}

/** Serialises a complete ModelProto (default domain only) to the bytes of an `.onnx` file. */
export function encodeOnnxModel(graph: OnnxGraph, options: OnnxModelOptions = {}): Uint8Array {
  const { irVersion = 8, opsetVersion = 14, producerName = 'qdc-test-onnx-writer' } = options;
  const defaultOpset = new ProtoWriter().string(1, '').varint(2, opsetVersion);
  return new ProtoWriter()
    .varint(1, irVersion)
    .string(2, producerName)
    .message(7, graphProto(graph))
    .message(8, defaultOpset)
    .finish();
}
