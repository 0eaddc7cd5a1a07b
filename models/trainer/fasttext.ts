// The compact model: a fastText-style classifier over WordPiece ids. Each review becomes a bag of
// unigram, hashed bigram and hashed trigram ids of its token sequence ([CLS] and [SEP] included, so
// "starts with"/"ends with" n-grams exist); their embeddings are averaged and a linear layer gives
// the logits. Hashing uses only integer ops, so the ONNX export reproduces it exactly from
// `input_ids` and `attention_mask` (see export.ts). Pure: no I/O.
import { rng } from '../core/random.js';

export { rng };

export interface HashSpec {
  vocabSize: number;
  bigramBuckets: number;
  trigramBuckets: number;
}

export interface CompactParams {
  spec: HashSpec;
  dim: number;
  numClasses: number;
  /** [rows, dim] row-major, rows = vocabSize + bigramBuckets + trigramBuckets */
  embeddings: Float32Array;
  /** [numClasses, dim] */
  weights: Float32Array;
  bias: Float32Array;
  /**
   * Linear (TF-IDF) members: the idf of each table row (0: unseen), and how many trailing embedding
   * columns are pooled as sum / sqrt(sum of idf^2 over the positions) instead of the mean.
   */
  idf?: Float32Array;
  idfColumns?: number;
}

export function tableRows(s: HashSpec): number {
  return s.vocabSize + s.bigramBuckets + s.trigramBuckets;
}

/** Feature row ids of one token sequence: unigrams, then bigram and trigram buckets. */
export function featureRows(ids: ArrayLike<number>, s: HashSpec): Int32Array {
  const n = ids.length;
  const out = new Int32Array(n + Math.max(0, n - 1) + Math.max(0, n - 2));
  let k = 0;
  const P = s.vocabSize;
  for (let t = 0; t < n; t++) out[k++] = ids[t]!;
  for (let t = 0; t + 1 < n; t++) out[k++] = s.vocabSize + ((ids[t]! * P + ids[t + 1]!) % s.bigramBuckets);
  // ids < 2^15 so a*P*P + ... < 2^45: exact in float64 and in the graph's int64.
  for (let t = 0; t + 2 < n; t++)
    out[k++] = s.vocabSize + s.bigramBuckets + (((ids[t]! * P + ids[t + 1]!) * P + ids[t + 2]!) % s.trigramBuckets);
  return out;
}

export function initParams(spec: HashSpec, dim: number, numClasses: number, seed: number): CompactParams {
  const r = rng(seed);
  const rows = tableRows(spec);
  const embeddings = new Float32Array(rows * dim);
  const scale = 1 / dim;
  for (let i = 0; i < embeddings.length; i++) embeddings[i] = (r() * 2 - 1) * scale;
  // fastText starts the output layer at zero; all classes begin equal.
  return {
    spec,
    dim,
    numClasses,
    embeddings,
    weights: new Float32Array(numClasses * dim),
    bias: new Float32Array(numClasses),
  };
}

/** Pooled feature rows into `out` (length dim): the mean, or for idf columns the L2-normalised sum. */
export function pool(p: CompactParams, rows: Int32Array, out: Float32Array): void {
  out.fill(0);
  const d = p.dim;
  let sq = 0;
  for (let i = 0; i < rows.length; i++) {
    const off = rows[i]! * d;
    for (let j = 0; j < d; j++) out[j]! += p.embeddings[off + j]!;
    if (p.idf) sq += p.idf[rows[i]!]! ** 2;
  }
  const firstIdf = d - (p.idfColumns ?? 0);
  const inv = 1 / Math.max(1, rows.length);
  for (let j = 0; j < firstIdf; j++) out[j]! *= inv;
  const invNorm = 1 / Math.sqrt(Math.max(sq, 1e-12));
  for (let j = firstIdf; j < d; j++) out[j]! *= invNorm;
}

export function logitsOf(p: CompactParams, h: Float32Array, out: Float32Array): void {
  for (let c = 0; c < p.numClasses; c++) {
    let z = p.bias[c]!;
    const off = c * p.dim;
    for (let j = 0; j < p.dim; j++) z += p.weights[off + j]! * h[j]!;
    out[c] = z;
  }
}

export function softmaxInPlace(z: Float32Array | number[]): void {
  let m = -Infinity;
  for (const v of z) m = Math.max(m, v);
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    z[i] = Math.exp(z[i]! - m);
    s += z[i]!;
  }
  for (let i = 0; i < z.length; i++) z[i]! /= s;
}

export function predictProba(p: CompactParams, rows: Int32Array): Float32Array {
  const h = new Float32Array(p.dim);
  const z = new Float32Array(p.numClasses);
  pool(p, rows, h);
  logitsOf(p, h, z);
  softmaxInPlace(z);
  return z;
}

/**
 * One SGD step on one example (fastText's update): softmax cross-entropy weighted by the class
 * weight, output layer then the averaged input rows. The target is a class index, or a probability
 * vector (a teacher's soft labels when distilling: the same gradient, p - t). Returns the loss.
 */
export function sgdStep(
  p: CompactParams,
  rows: Int32Array,
  target: number | ArrayLike<number>,
  weight: number,
  lr: number,
  l2: number,
  scratch: { h: Float32Array; z: Float32Array; g: Float32Array },
): number {
  const { h, z, g } = scratch;
  const d = p.dim;
  pool(p, rows, h);
  logitsOf(p, h, z);
  softmaxInPlace(z);
  const t = (c: number): number => (typeof target === 'number' ? (c === target ? 1 : 0) : target[c]!);
  let loss = 0;
  for (let c = 0; c < p.numClasses; c++) if (t(c) > 0) loss -= t(c) * Math.log(Math.max(1e-12, z[c]!)) * weight;
  g.fill(0);
  for (let c = 0; c < p.numClasses; c++) {
    const dz = (z[c]! - t(c)) * weight;
    const off = c * d;
    for (let j = 0; j < d; j++) {
      g[j]! += dz * p.weights[off + j]!;
      p.weights[off + j]! -= lr * (dz * h[j]! + l2 * p.weights[off + j]!);
    }
    p.bias[c]! -= lr * dz;
  }
  const step = lr / Math.max(1, rows.length);
  for (let i = 0; i < rows.length; i++) {
    const off = rows[i]! * d;
    for (let j = 0; j < d; j++) p.embeddings[off + j]! -= step * g[j]!;
  }
  return loss;
}
