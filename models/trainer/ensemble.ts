// Averaging the logits of k compact models that share the n-gram hashing is itself one compact
// model: embeddings side by side (dim k*D; every sub-model sees the same feature rows, so the mean
// pooling is unchanged), and a classifier that averages the k linear heads. The ONNX graph stays the
// same; only the widths change. Pure.
import { tableRows, type CompactParams } from './fasttext.js';

export function mergeEnsemble(models: CompactParams[]): CompactParams {
  if (models.length === 1) return models[0]!;
  const first = models[0]!;
  if (models.some((m) => m.idf)) throw new Error('only fastText models merge into an ensemble');
  const k = models.length;
  const rows = tableRows(first.spec);
  const d = first.dim;
  const dim = d * k;
  const embeddings = new Float32Array(rows * dim);
  const weights = new Float32Array(first.numClasses * dim);
  const bias = new Float32Array(first.numClasses);
  models.forEach((m, i) => {
    if (m.dim !== d || m.numClasses !== first.numClasses || tableRows(m.spec) !== rows)
      throw new Error('ensemble members must share shape and hashing');
    for (let r = 0; r < rows; r++) embeddings.set(m.embeddings.subarray(r * d, (r + 1) * d), r * dim + i * d);
    for (let c = 0; c < m.numClasses; c++) {
      for (let j = 0; j < d; j++) weights[c * dim + i * d + j] = m.weights[c * d + j]! / k;
      bias[c]! += m.bias[c]! / k;
    }
  });
  return { spec: first.spec, dim, numClasses: first.numClasses, embeddings, weights, bias };
}

/**
 * A fastText model and a linear (TF-IDF) model as one compact model whose logits are
 * (1 - w) * fastText's + w * linear's: the linear columns sit after the fastText ones and keep their
 * idf pooling (`idfColumns`), so the graph is still Gather + ReduceSum + Gemm. Pure.
 */
export function mixLinear(ft: CompactParams, lin: CompactParams, w: number): CompactParams {
  if (ft.idf || !lin.idf || lin.idfColumns !== lin.dim || tableRows(ft.spec) !== tableRows(lin.spec))
    throw new Error('mixLinear takes a fastText model and a linear model with the same hashing');
  const rows = tableRows(ft.spec);
  const dim = ft.dim + lin.dim;
  const k = ft.numClasses;
  const embeddings = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    embeddings.set(ft.embeddings.subarray(r * ft.dim, (r + 1) * ft.dim), r * dim);
    embeddings.set(lin.embeddings.subarray(r * lin.dim, (r + 1) * lin.dim), r * dim + ft.dim);
  }
  const weights = new Float32Array(k * dim);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < ft.dim; j++) weights[c * dim + j] = (1 - w) * ft.weights[c * ft.dim + j]!;
    for (let j = 0; j < lin.dim; j++) weights[c * dim + ft.dim + j] = w * lin.weights[c * lin.dim + j]!;
  }
  const bias = Float32Array.from(ft.bias, (b, c) => (1 - w) * b + w * lin.bias[c]!);
  return { spec: ft.spec, dim, numClasses: k, embeddings, weights, bias, idf: lin.idf, idfColumns: lin.dim };
}
