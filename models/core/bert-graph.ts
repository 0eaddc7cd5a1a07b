// A BERT encoder + classification head generated in TypeScript (onnx-proto), with the inputs and
// output of a Hugging Face `BertForSequenceClassification` export: input_ids, attention_mask,
// token_type_ids -> logits. Random weights: it exists to run the real engine on a true BERT
// architecture (no such export is small enough to ship) and to benchmark BERT-base shapes.
// `quantized` builds the dynamic-int8 variant of every encoder MatMul (DynamicQuantizeLinear +
// MatMulInteger), the same rewrite onnxruntime's quantize_dynamic applies.
import { GraphBuilder, encodeModel } from './onnx-builder.js';
import { rng } from './random.js';

export interface BertShape {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  typeVocab: number;
  numLabels: number;
}

export const BERT_BASE: BertShape = {
  vocabSize: 30_522,
  hidden: 768,
  layers: 12,
  heads: 12,
  intermediate: 3072,
  maxPositions: 512,
  typeVocab: 2,
  numLabels: 3,
};

/** Multiply-accumulates per token of one forward pass (matmuls only), for GFLOP/s figures. */
export function bertFlops(shape: BertShape, batch: number, seq: number): number {
  const { hidden: H, intermediate: I, layers: L, numLabels } = shape;
  const perLayer = seq * (4 * H * H + 2 * H * I) * 2 + 2 * seq * seq * H * 2; // projections+FFN, QK^T and PV
  return batch * (L * perLayer + 2 * H * H + 2 * H * numLabels);
}

/** Gaussian weights from a seeded uniform source (Box-Muller), in the order they are asked for. */
function normalSource(r: () => number) {
  return (n: number, std: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u = Math.max(1e-12, r());
      const v = r();
      const m = Math.sqrt(-2 * Math.log(u));
      a[i] = m * Math.cos(2 * Math.PI * v) * std;
      if (i + 1 < n) a[i + 1] = m * Math.sin(2 * Math.PI * v) * std;
    }
    return a;
  };
}

/**
 * The building blocks of one BERT graph. Every weight is drawn from one seeded source in the order
 * the graph asks for it, so a seed always gives the same model (fp32 and int8 alike).
 */
class BertBlocks {
  private t = 0;
  private readonly normal: (n: number, std: number) => Float32Array;

  constructor(
    readonly g: GraphBuilder,
    private readonly hidden: number,
    private readonly std: number,
    private readonly quantized: boolean,
    seed: number,
  ) {
    this.normal = normalSource(rng(seed));
  }

  weight(name: string, dims: number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    return this.g.floatTensor(`${name}_${this.t++}`, dims, this.normal(n, this.std));
  }

  ones(name: string, n: number): string {
    return this.g.floatTensor(`${name}_${this.t++}`, [n], new Float32Array(n).fill(1));
  }

  zeros(name: string, n: number): string {
    return this.g.floatTensor(`${name}_${this.t++}`, [n], new Float32Array(n));
  }

  linear(x: string, inDim: number, outDim: number, name: string): string {
    const g = this.g;
    const bias = this.zeros(`${name}.bias`, outDim);
    if (!this.quantized)
      return g.op1('Add', [g.op1('MatMul', [x, this.weight(`${name}.weight`, [inDim, outDim])]), bias]);
    // Weights quantized per tensor to int8 (zero point 0) at build time; activations at run time.
    const wf = this.normal(inDim * outDim, this.std);
    let maxAbs = 0;
    for (const v of wf) maxAbs = Math.max(maxAbs, Math.abs(v));
    const scale = maxAbs / 127 || 1;
    const q = Int8Array.from(wf, (v) => Math.max(-127, Math.min(127, Math.round(v / scale))));
    const wq = g.int8Tensor(`${name}.weight_quantized_${this.t++}`, [inDim, outDim], q);
    const wzp = g.int8Tensor(`${name}.weight_zero_point_${this.t++}`, [], new Int8Array([0]));
    const [xq, xs, xzp] = g.op('DynamicQuantizeLinear', [x], {}, 3) as [string, string, string];
    const acc = g.op1('MatMulInteger', [xq, wq, xzp, wzp]);
    const deq = g.op1('Mul', [g.op1('Cast', [acc], { to: 1 }), g.op1('Mul', [xs, g.floats([scale], true)])]);
    return g.op1('Add', [deq, bias]);
  }

  layerNorm(x: string, name: string): string {
    const H = this.hidden;
    return this.g.op1('LayerNormalization', [x, this.ones(`${name}.gamma`, H), this.zeros(`${name}.beta`, H)], {
      axis: -1,
      epsilon: { float: 1e-12 },
    });
  }

  gelu(x: string): string {
    const g = this.g;
    return g.op1('Mul', [
      g.op1('Mul', [x, g.floats([0.5], true)]),
      g.op1('Add', [g.op1('Erf', [g.op1('Div', [x, g.floats([Math.SQRT2], true)])]), g.floats([1], true)]),
    ]);
  }
}

/** Word + position + token-type embeddings, then LayerNorm. */
function embeddings(b: BertBlocks, shape: BertShape, ids: string, types: string): string {
  const g = b.g;
  const H = shape.hidden;
  const seqLen = g.op1('Gather', [g.op1('Shape', [ids]), g.ints([1], true)], { axis: 0 });
  const positions = g.op1('Unsqueeze', [g.op1('Range', [g.ints([0], true), seqLen, g.ints([1], true)]), g.ints([0])]);
  const word = g.op1('Gather', [b.weight('embeddings.word', [shape.vocabSize, H]), ids], { axis: 0 });
  const pos = g.op1('Gather', [b.weight('embeddings.position', [shape.maxPositions, H]), positions], { axis: 0 });
  const typ = g.op1('Gather', [b.weight('embeddings.token_type', [shape.typeVocab, H]), types], { axis: 0 });
  return b.layerNorm(g.op1('Add', [g.op1('Add', [word, pos]), typ]), 'embeddings.ln');
}

/** Additive attention mask: 0 where attended, -10000 on padding, broadcast over heads and queries. */
function attentionBias(g: GraphBuilder, mask: string): string {
  const maskF = g.op1('Cast', [mask], { to: 1 });
  return g.op1('Mul', [
    g.op1('Sub', [g.floats([1], true), g.op1('Unsqueeze', [maskF, g.ints([1, 2])])]),
    g.floats([-10000], true),
  ]);
}

/** One encoder layer: multi-head self-attention and the feed-forward block, each with residual + LayerNorm. */
function encoderLayer(b: BertBlocks, shape: BertShape, x: string, maskBias: string, l: number): string {
  const g = b.g;
  const { hidden: H, heads, intermediate: I } = shape;
  const hd = H / heads;
  const headsShape = g.ints([0, 0, heads, hd]);
  const scale = g.floats([1 / Math.sqrt(hd)], true);
  const split = (v: string): string => g.op1('Transpose', [g.op1('Reshape', [v, headsShape])], { perm: [0, 2, 1, 3] });
  const q = split(b.linear(x, H, H, `l${l}.q`));
  const kT = g.op1('Transpose', [g.op1('Reshape', [b.linear(x, H, H, `l${l}.k`), headsShape])], { perm: [0, 2, 3, 1] });
  const v = split(b.linear(x, H, H, `l${l}.v`));
  const scores = g.op1('Add', [g.op1('Mul', [g.op1('MatMul', [q, kT]), scale]), maskBias]);
  const probs = g.op1('Softmax', [scores], { axis: -1 });
  const merged = g.op1('Transpose', [g.op1('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
  const ctx = g.op1('Reshape', [merged, g.ints([0, 0, H])]);
  const attended = b.layerNorm(g.op1('Add', [b.linear(ctx, H, H, `l${l}.attn_out`), x]), `l${l}.ln1`);
  const ff = b.linear(b.gelu(b.linear(attended, H, I, `l${l}.ff_in`)), I, H, `l${l}.ff_out`);
  return b.layerNorm(g.op1('Add', [ff, attended]), `l${l}.ln2`);
}

/** The pooler on [CLS], then the classifier. */
function classificationHead(b: BertBlocks, shape: BertShape, x: string): string {
  const g = b.g;
  const H = shape.hidden;
  const cls = g.op1('Gather', [x, g.ints([0], true)], { axis: 1 });
  const pooled = g.op1('Tanh', [g.op1('Gemm', [cls, b.weight('pooler.weight', [H, H]), b.zeros('pooler.bias', H)])]);
  const classifier = b.weight('classifier.weight', [H, shape.numLabels]);
  return g.op1('Gemm', [pooled, classifier, b.zeros('classifier.bias', shape.numLabels)]);
}

export function buildBertOnnx(
  shape: BertShape,
  options: { seed?: number; quantized?: boolean; initStd?: number } = {},
): Uint8Array {
  if (!Number.isInteger(shape.hidden / shape.heads)) throw new Error('hidden must be divisible by heads');
  const g = new GraphBuilder('bert_for_sequence_classification');
  const ids = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const mask = g.input('attention_mask', 'int64', ['batch', 'sequence']);
  const types = g.input('token_type_ids', 'int64', ['batch', 'sequence']);
  g.output('logits', 'float', ['batch', shape.numLabels]);
  // BERT's initializer range; larger makes a random model's outputs depend more on its input.
  const b = new BertBlocks(g, shape.hidden, options.initStd ?? 0.02, options.quantized ?? false, options.seed ?? 1234);
  let x = embeddings(b, shape, ids, types);
  const maskBias = attentionBias(g, mask);
  for (let l = 0; l < shape.layers; l++) x = encoderLayer(b, shape, x, maskBias, l);
  g.bindOutput(classificationHead(b, shape, x), 'logits');
  return encodeModel(g.build());
}
