// Averaging the logits of k compact models that share the n-gram hashing is itself one compact
// model: embeddings side by side (dim k*D; every sub-model sees the same feature rows, so the mean
// pooling is unchanged), and a classifier that averages the k linear heads. The ONNX graph stays the
// same; only the widths change. Pure.
import { tableRows, type CompactParams } from './fasttext.js';

export function mergeEnsemble(models: CompactParams[]): CompactParams {
  if (models.length === 1) return models[0]!;
  const first = models[0]!;
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
