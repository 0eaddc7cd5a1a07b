// ONNX export of the compact model with the inputs of a Hugging Face BERT export (input_ids,
// attention_mask, token_type_ids -> logits), so the inference engine runs it exactly like IndoBERT.
// The n-gram hashing of fasttext.ts is rebuilt from integer ops; padded positions are masked out.
import { GraphBuilder, encodeModel } from '../core/onnx-builder.js';
import { tableRows, type CompactParams } from './fasttext.js';

const INT64_MAX = Number.MAX_SAFE_INTEGER; // Slice end "to the end"

/**
 * Per-column divisor [B, dim] for a model with linear (TF-IDF) members: the position count for the
 * mean-pooled columns, sqrt(sum of idf^2 over the positions) for the trailing idf columns.
 */
function idfDivisor(g: GraphBuilder, p: CompactParams, allIds: string, allMask: string, count: string): string {
  const idfSq = g.floatTensor(
    'idf_squared',
    [tableRows(p.spec)],
    p.idf!.map((v) => v * v),
  );
  const sq = g.op1('ReduceSum', [g.op1('Mul', [g.op1('Gather', [idfSq, allIds], { axis: 0 }), allMask]), g.ints([1])], {
    keepdims: 1,
  });
  const norm = g.op1('Sqrt', [g.op1('Max', [sq, g.floats([1e-12], true)])]);
  const isIdf = Array.from({ length: p.dim }, (_, j) => (j >= p.dim - p.idfColumns! ? 1 : 0));
  return g.op1('Add', [
    g.op1('Mul', [count, g.floats(isIdf.map((v) => 1 - v))]),
    g.op1('Mul', [norm, g.floats(isIdf)]),
  ]);
}

export function exportCompactOnnx(p: CompactParams): Uint8Array {
  const g = new GraphBuilder('ulasan_compact');
  const ids = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const mask = g.input('attention_mask', 'int64', ['batch', 'sequence']);
  // Declared for interface parity with BERT exports; the compact model does not use segments.
  g.input('token_type_ids', 'int64', ['batch', 'sequence']);
  g.output('logits', 'float', ['batch', p.numClasses]);

  const { vocabSize: V, bigramBuckets: B2, trigramBuckets: B3 } = p.spec;
  const axis1 = g.ints([1]);
  const slice = (x: string, start: number, end: number): string =>
    g.op1('Slice', [x, g.ints([start]), g.ints([end]), axis1]);
  const maskF = g.op1('Cast', [mask], { to: 1 }); // FLOAT

  // Bigrams: (a*V + b) mod B2, shifted past the unigram rows.
  const P = g.ints([V], true);
  const a0 = slice(ids, 0, -1);
  const a1 = slice(ids, 1, INT64_MAX);
  const bi = g.op1('Add', [
    g.op1('Mod', [g.op1('Add', [g.op1('Mul', [a0, P]), a1]), g.ints([B2], true)]),
    g.ints([V], true),
  ]);
  const biMask = g.op1('Mul', [slice(maskF, 0, -1), slice(maskF, 1, INT64_MAX)]);

  // Trigrams: ((a*V + b)*V + c) mod B3, shifted past unigrams and bigrams.
  const t0 = slice(ids, 0, -2);
  const t1 = slice(ids, 1, -1);
  const t2 = slice(ids, 2, INT64_MAX);
  const tri0 = g.op1('Add', [g.op1('Mul', [g.op1('Add', [g.op1('Mul', [t0, P]), t1]), P]), t2]);
  const tri = g.op1('Add', [g.op1('Mod', [tri0, g.ints([B3], true)]), g.ints([V + B2], true)]);
  const triMask = g.op1('Mul', [g.op1('Mul', [slice(maskF, 0, -2), slice(maskF, 1, -1)]), slice(maskF, 2, INT64_MAX)]);

  const allIds = g.op1('Concat', [ids, bi, tri], { axis: 1 });
  const allMask = g.op1('Concat', [maskF, biMask, triMask], { axis: 1 });

  const table = g.floatTensor('embeddings', [tableRows(p.spec), p.dim], p.embeddings);
  const emb = g.op1('Gather', [table, allIds], { axis: 0 }); // [B, T, D]
  const weighted = g.op1('Mul', [emb, g.op1('Unsqueeze', [allMask, g.ints([2])])]);
  const summed = g.op1('ReduceSum', [weighted, axis1], { keepdims: 0 }); // [B, D]
  const count = g.op1('Max', [g.op1('ReduceSum', [allMask, axis1], { keepdims: 1 }), g.floats([1], true)]);
  const pooled = g.op1('Div', [summed, p.idf && p.idfColumns ? idfDivisor(g, p, allIds, allMask, count) : count]);

  // weights are [classes, dim]; Gemm with transB computes pooled @ W^T + b.
  const w = g.floatTensor('classifier.weight', [p.numClasses, p.dim], p.weights);
  const b = g.floatTensor('classifier.bias', [p.numClasses], p.bias);
  const logits = g.op1('Gemm', [pooled, w, b], { transB: 1 });
  g.bindOutput(logits, 'logits');
  return encodeModel(g.build());
}
