// Dynamic int8 quantization of any ONNX graph's MatMuls whose weights are initializers: the rewrite
// onnxruntime's quantize_dynamic applies, done on the protobuf with onnx-proto. Each such
// MatMul(X, W) becomes
//   DynamicQuantizeLinear(X) -> (Xq uint8, Xs, Xzp)
//   MatMulInteger(Xq, Wq int8, Xzp, 0) -> int32, Cast -> float, Mul by (Xs * Ws)
// with W quantized per tensor, symmetric (zero point 0) at quantization time, and activations at run
// time. Reduced range keeps weights in 7 bits (-63..63) for CPUs without VNNI, whose u8 x s8
// instructions can saturate. Everything else in the graph (attention's activation x activation
// MatMuls, Gemm, LayerNorm, ...) is left as it is. BERT, DistilBERT and XLM-R exports, with or
// without token_type_ids, all fit this.
import onnxProto from 'onnx-proto';
import { UlasanError } from '../../platform/errors.js';
import { decodeModel, encodeModel, type ModelProto } from './onnx-builder.js';

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type NodeProto = onnxProto.onnx.INodeProto;
const DT = onnx.TensorProto.DataType;

export interface QuantizeOptions {
  /** 7-bit weights, for CPUs without VNNI (as onnxruntime's reduce_range). */
  reduceRange?: boolean;
}

export interface QuantizeReport {
  /** MatMuls rewritten to MatMulInteger. */
  quantized: number;
  /** MatMuls left in float: their second input is not a 2-D float initializer (activation x activation). */
  skipped: number;
  /** Bytes of float weights replaced by int8. */
  weightBytesBefore: number;
  weightBytesAfter: number;
}

/** The float values of an initializer (raw little-endian or float_data); null when it is not a float tensor. */
export function floatValues(t: TensorProto): Float32Array | null {
  if (t.dataType !== DT.FLOAT) return null;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new UlasanError(
      'MODEL_LOAD_FAILED',
      `initializer ${t.name} keeps its data in an external file: not supported`,
    );
  }
  if (t.rawData && t.rawData.length > 0) {
    // ONNX raw data is little-endian, as every host Node runs on here: one copy, no per-value reads.
    const copy = new Float32Array(t.rawData.length / 4);
    new Uint8Array(copy.buffer).set(t.rawData);
    return copy;
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Symmetric per-tensor int8: scale = max|w| / qmax, zero point 0. */
export function quantizeWeights(w: Float32Array, qmax: number): { q: Int8Array; scale: number } {
  let maxAbs = 0;
  for (let i = 0; i < w.length; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]!));
  const scale = maxAbs / qmax || 1;
  // A plain loop: Int8Array.from with a map function took seconds per BERT-base layer.
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-qmax, Math.min(qmax, Math.round(w[i]! / scale)));
  return { q, scale };
}

function opsetOf(model: ModelProto): number {
  const ai = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return Number(ai?.version ?? 0);
}

const tensor = (name: string, dataType: number, dims: number[], raw: Buffer): TensorProto =>
  onnx.TensorProto.create({ name, dataType, dims, rawData: raw });

function floatScalar(name: string, v: number): TensorProto {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return tensor(name, DT.FLOAT, [], b);
}

/** The five nodes that replace one MatMul, and the initializers they need. */
function rewrite(node: NodeProto, w: TensorProto, values: Float32Array, qmax: number, i: number) {
  const base = `${node.name || 'MatMul'}_q${i}`;
  const { q, scale } = quantizeWeights(values, qmax);
  const wq = tensor(`${w.name}_quantized`, DT.INT8, (w.dims ?? []).map(Number), Buffer.from(q.buffer));
  const wzp = tensor(`${w.name}_zero_point`, DT.INT8, [], Buffer.from([0]));
  const ws = floatScalar(`${w.name}_scale`, scale);
  const [x] = node.input!;
  const [y] = node.output!;
  const n = (op: string, inputs: string[], outputs: string[], attrs: object[] = []): NodeProto =>
    onnx.NodeProto.create({
      opType: op,
      name: `${base}_${outputs[0]}`,
      input: inputs,
      output: outputs,
      attribute: attrs,
    });
  const nodes = [
    n('DynamicQuantizeLinear', [x!], [`${base}_xq`, `${base}_xs`, `${base}_xzp`]),
    n('MatMulInteger', [`${base}_xq`, wq.name!, `${base}_xzp`, wzp.name!], [`${base}_acc`]),
    n('Cast', [`${base}_acc`], [`${base}_accf`], [onnx.AttributeProto.create({ name: 'to', type: 2, i: DT.FLOAT })]),
    n('Mul', [`${base}_xs`, ws.name!], [`${base}_scale`]),
    n('Mul', [`${base}_accf`, `${base}_scale`], [y!]),
  ];
  return { nodes, initializers: [wq, wzp, ws] };
}

/** Quantizes a model's weight MatMuls; returns the new model and what was done. */
export function quantizeModel(
  model: ModelProto,
  o: QuantizeOptions = {},
): { model: ModelProto; report: QuantizeReport } {
  if (opsetOf(model) < 11) {
    throw new UlasanError(
      'MODEL_LOAD_FAILED',
      `opset ${opsetOf(model)}: DynamicQuantizeLinear needs opset 11 or later`,
    );
  }
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const qmax = o.reduceRange ? 63 : 127;
  const report: QuantizeReport = { quantized: 0, skipped: 0, weightBytesBefore: 0, weightBytesAfter: 0 };
  const done = new Map<string, TensorProto[]>(); // a weight shared by several MatMuls is quantized once
  const nodes: NodeProto[] = [];
  const added: TensorProto[] = [];
  for (const node of graph.node ?? []) {
    const w = node.opType === 'MatMul' ? inits.get(node.input?.[1] ?? '') : undefined;
    const values = w && (w.dims?.length ?? 0) === 2 ? floatValues(w) : null;
    if (!w || !values) {
      if (node.opType === 'MatMul') report.skipped++;
      nodes.push(node);
      continue;
    }
    const r = rewrite(node, w, values, qmax, report.quantized);
    nodes.push(...r.nodes);
    if (!done.has(w.name!)) {
      done.set(w.name!, r.initializers);
      added.push(...r.initializers);
      report.weightBytesBefore += values.length * 4;
      report.weightBytesAfter += values.length;
    }
    report.quantized++;
  }
  // A float weight still read by another node (tied embeddings) stays; the others go.
  const stillRead = new Set(nodes.flatMap((n) => n.input ?? []));
  const removed = new Set((graph.initializer ?? []).filter((t) => !stillRead.has(t.name!)).map((t) => t.name!));
  graph.initializer = [...(graph.initializer ?? []).filter((t) => !removed.has(t.name!)), ...added];
  // Older exports (IR < 4) also list initializers as graph inputs: a removed one must not become one.
  graph.input = (graph.input ?? []).filter((i) => !removed.has(i.name!));
  graph.node = nodes;
  return { model, report };
}

/** Bytes in, bytes out (the CLI and tests). */
export function quantizeOnnx(
  bytes: Uint8Array,
  o: QuantizeOptions = {},
): { bytes: Uint8Array; report: QuantizeReport } {
  const { model, report } = quantizeModel(decodeModel(bytes), o);
  return { bytes: encodeModel(model), report };
}
