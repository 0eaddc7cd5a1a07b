// A small builder over onnx-proto for the graphs Ulasan generates itself: the compact model export
// and the BERT-architecture test/benchmark encoders. Opset 17, raw little-endian tensor data.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export type ModelProto = InstanceType<typeof onnx.ModelProto>;

export const OPSET = 17;
const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

function attribute(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: AT.STRING, s: Buffer.from(v) });
  if (typeof v === 'number') return onnx.AttributeProto.create({ name, type: AT.INT, i: v });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: AT.INTS, ints: v });
  if ('float' in v) return onnx.AttributeProto.create({ name, type: AT.FLOAT, f: v.float });
  return onnx.AttributeProto.create({ name, type: AT.FLOATS, floats: v.floats });
}

export type Dim = number | string;

export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  private valueInfo(name: string, elemType: number, shape: Dim[]): InstanceType<typeof onnx.ValueInfoProto> {
    return onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType,
          shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
  }

  input(name: string, type: 'int64' | 'float', shape: Dim[]): string {
    this.inputs.push(this.valueInfo(name, type === 'int64' ? DT.INT64 : DT.FLOAT, shape));
    return name;
  }

  output(name: string, type: 'int64' | 'float', shape: Dim[]): void {
    this.outputs.push(this.valueInfo(name, type === 'int64' ? DT.INT64 : DT.FLOAT, shape));
  }

  fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  floatTensor(name: string, dims: number[], data: Float32Array): string {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType: DT.FLOAT, rawData: bytes }));
    return name;
  }

  int64Tensor(name: string, dims: number[], data: number[]): string {
    const arr = BigInt64Array.from(data.map((x) => BigInt(x)));
    this.initializers.push(
      onnx.TensorProto.create({ name, dims, dataType: DT.INT64, rawData: Buffer.from(arr.buffer) }),
    );
    return name;
  }

  int8Tensor(name: string, dims: number[], data: Int8Array): string {
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: DT.INT8,
        rawData: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  }

  uint8Tensor(name: string, dims: number[], data: Uint8Array): string {
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: DT.UINT8,
        rawData: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  }

  /** A scalar or 1-D int64 constant. */
  ints(values: number[], scalar = false): string {
    return this.int64Tensor(this.fresh('const_i64'), scalar ? [] : [values.length], values);
  }

  floats(values: number[], scalar = false): string {
    return this.floatTensor(this.fresh('const_f32'), scalar ? [] : [values.length], Float32Array.from(values));
  }

  /** Adds a node; returns its output names (one fresh name per output). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, nOutputs = 1, domain = ''): string[] {
    const outs = Array.from({ length: nOutputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        domain,
        input: inputs,
        output: outs,
        name: this.fresh(`n_${opType}`),
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outs;
  }

  /** Single-output convenience. */
  op1(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain = ''): string {
    return this.op(opType, inputs, attrs, 1, domain)[0]!;
  }

  /** Renames a value to a graph output name via Identity. */
  bindOutput(value: string, name: string): void {
    this.nodes.push(
      onnx.NodeProto.create({ opType: 'Identity', input: [value], output: [name], name: this.fresh('n_out') }),
    );
  }

  build(extraOpsets: { domain: string; version: number }[] = []): ModelProto {
    return onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'ulasan',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: OPSET }, ...extraOpsets],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}
