// The linear member of the compact model: multinomial logistic regression on TF-IDF vectors of the
// same hashed n-gram rows as fasttext.ts (unigram ids, bigram and trigram buckets), L2-normalised.
// It is the classical text baseline (TF-IDF + a linear classifier), which on NusaX English valid
// beat the 64-d averaged embeddings by about 8 macro-F1 points (scikit-learn on the same rows; see
// docs/model-card.md); mixed with fastText (ensemble.ts) it keeps the better of each.
//
// Exported as CompactParams with `idf` and `idfColumns`: row f of the table holds idf_f * W[:, f], and those
// columns are pooled as sum / sqrt(sum of idf^2 over the positions) instead of a mean, so the ONNX
// graph (export.ts) stays Gather + ReduceSum + Gemm and the export is exact.
//
// Trained full batch with L-BFGS (hand-written: npm has no maintained sparse solver; ml-logistic-
// regression is dense and unregularised). Full batch makes it deterministic and seed-free. Pure.
import type { CompactParams, HashSpec } from './fasttext.js';
import { tableRows } from './fasttext.js';
import { evaluate } from './metrics.js';
import type { EncodedSet, TrainResult } from './encoded.js';

export interface LinearOptions {
  /** Inverse L2 strength, as scikit-learn's C: the penalty is ||W||^2 / (2 C) per unit of row weight. */
  c: number;
  /** L-BFGS iterations at most. */
  iterations: number;
  /** Per-class weights (index = label). */
  classWeights: number[];
  /** Longest n-gram used: 2 leaves the trigram rows out (zero weight and idf, so the graph skips them). */
  ngrams: 2 | 3;
}

/** A sparse, normalised training matrix over the features the training rows contain. */
interface Design {
  /** feature row id -> column, -1 when no training row has it */
  column: Int32Array;
  idf: Float64Array;
  docStart: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
  /** the training rows' features as kept */
  rows: Int32Array[];
}

function buildDesign(set: EncodedSet, spec: HashSpec, ngrams: 2 | 3): Design {
  const rows = tableRows(spec);
  const end = ngrams === 2 ? spec.vocabSize + spec.bigramBuckets : rows;
  // A feature outside the model keeps column -1: no idf, no weight, not in any norm.
  const kept = (r: Int32Array): Int32Array => (end === rows ? r : r.filter((f) => f < end));
  const docs = set.rows.map(kept);
  const column = new Int32Array(rows).fill(-1);
  const df: number[] = [];
  const seenIn = new Int32Array(rows).fill(-1);
  docs.forEach((r, d) => {
    for (const f of r) {
      if (column[f] === -1) column[f] = df.push(0) - 1;
      if (seenIn[f] !== d) {
        seenIn[f] = d;
        df[column[f]!]! += 1;
      }
    }
  });
  const n = docs.length;
  // scikit-learn's smooth idf: ln((1 + n) / (1 + df)) + 1.
  const idf = Float64Array.from(df, (x) => Math.log((1 + n) / (1 + x)) + 1);
  const docStart = new Int32Array(n + 1);
  docs.forEach((r, d) => (docStart[d + 1] = docStart[d]! + r.length));
  const cols = new Int32Array(docStart[n]!);
  const vals = new Float64Array(docStart[n]!);
  docs.forEach((r, d) => {
    let sq = 0;
    for (const f of r) sq += idf[column[f]!]! ** 2;
    const inv = 1 / Math.sqrt(Math.max(sq, 1e-12));
    r.forEach((f, k) => {
      cols[docStart[d]! + k] = column[f]!;
      vals[docStart[d]! + k] = idf[column[f]!]! * inv;
    });
  });
  return { column, idf, docStart, cols, vals, rows: docs };
}

/**
 * Weighted mean cross-entropy plus the L2 penalty, and its gradient, at theta = [W, b]: W feature-
 * major (column j's k class weights side by side, one cache line per position), then b (k).
 */
function objective(
  x: Design,
  set: EncodedSet,
  k: number,
  rowWeights: Float64Array,
  lambda: number,
  theta: Float64Array,
  grad: Float64Array,
): number {
  const F = x.idf.length;
  grad.fill(0);
  const z = new Float64Array(k);
  const t = new Float64Array(k);
  let loss = 0;
  for (let d = 0; d < x.rows.length; d++) {
    const from = x.docStart[d]!;
    const to = x.docStart[d + 1]!;
    for (let c = 0; c < k; c++) z[c] = theta[k * F + c]!;
    for (let p = from; p < to; p++) {
      const off = x.cols[p]! * k;
      for (let c = 0; c < k; c++) z[c]! += theta[off + c]! * x.vals[p]!;
    }
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, z[c]!);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(z[c]! - m);
    const logS = Math.log(s);
    const target = set.targets?.[d];
    for (let c = 0; c < k; c++) t[c] = target ? target[c]! : c === set.labels[d] ? 1 : 0;
    const w = rowWeights[d]!;
    for (let c = 0; c < k; c++) {
      const logP = z[c]! - m - logS;
      if (t[c]! > 0) loss -= w * t[c]! * logP;
      z[c] = w * (Math.exp(logP) - t[c]!); // z now holds d(loss)/d(logit)
      grad[k * F + c]! += z[c]!;
    }
    for (let p = from; p < to; p++) {
      const off = x.cols[p]! * k;
      for (let c = 0; c < k; c++) grad[off + c]! += z[c]! * x.vals[p]!;
    }
  }
  let penalty = 0;
  for (let i = 0; i < k * F; i++) {
    penalty += theta[i]! * theta[i]!;
    grad[i]! += lambda * theta[i]!;
  }
  return loss + (lambda / 2) * penalty;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

interface Pair {
  s: Float64Array;
  y: Float64Array;
  rho: number;
}

/** Two-loop recursion: the L-BFGS direction -H g (into q) from the last (s, y) pairs, oldest first. */
function direction(g: Float64Array, hist: Pair[], q: Float64Array): void {
  q.set(g);
  const alpha: number[] = [];
  for (let i = hist.length - 1; i >= 0; i--) {
    const h = hist[i]!;
    alpha[i] = h.rho * dot(h.s, q);
    for (let j = 0; j < q.length; j++) q[j]! -= alpha[i]! * h.y[j]!;
  }
  const last = hist[hist.length - 1];
  const gamma = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1 / Math.sqrt(Math.max(dot(g, g), 1e-24));
  for (let j = 0; j < q.length; j++) q[j]! *= -gamma;
  for (let i = 0; i < hist.length; i++) {
    const h = hist[i]!;
    const beta = h.rho * dot(h.y, q);
    for (let j = 0; j < q.length; j++) q[j]! -= h.s[j]! * (alpha[i]! + beta);
  }
}

/**
 * Minimises f with L-BFGS (memory 8) and a backtracking Armijo line search; stops when an iteration
 * improves f by less than `tolerance` relatively. Buffers are allocated once (the vectors are large).
 */
export function lbfgs(
  f: (theta: Float64Array, grad: Float64Array) => number,
  theta: Float64Array,
  iterations: number,
  tolerance = 1e-6,
): { iterations: number; value: number } {
  const n = theta.length;
  let g = new Float64Array(n);
  let gNext = new Float64Array(n);
  const next = new Float64Array(n);
  const dir = new Float64Array(n);
  let value = f(theta, g);
  const hist: Pair[] = [];
  const spare: Pair[] = [];
  let it = 0;
  for (; it < iterations; it++) {
    direction(g, hist, dir);
    const slope = dot(g, dir);
    if (slope >= 0) break;
    let step = 1;
    let v = Infinity;
    for (let tries = 0; tries < 30; tries++, step /= 2) {
      for (let j = 0; j < n; j++) next[j] = theta[j]! + step * dir[j]!;
      v = f(next, gNext);
      if (v <= value + 1e-4 * step * slope) break;
    }
    if (!(v < value)) break;
    const pair = spare.pop() ?? { s: new Float64Array(n), y: new Float64Array(n), rho: 0 };
    for (let j = 0; j < n; j++) {
      pair.s[j] = next[j]! - theta[j]!;
      pair.y[j] = gNext[j]! - g[j]!;
    }
    const sy = dot(pair.s, pair.y);
    if (sy > 1e-12) {
      pair.rho = 1 / sy;
      hist.push(pair);
      if (hist.length > 8) spare.push(hist.shift()!);
    } else spare.push(pair);
    theta.set(next);
    [g, gNext] = [gNext, g];
    const done = (value - v) / Math.max(Math.abs(value), 1e-12) < tolerance;
    value = v;
    if (done) break;
  }
  return { iterations: it, value };
}

/** The trained weights as a CompactParams whose 3 columns are idf-pooled (see the file comment). */
function toParams(x: Design, theta: Float64Array, spec: HashSpec, k: number): CompactParams {
  const R = tableRows(spec);
  const F = x.idf.length;
  const embeddings = new Float32Array(R * k);
  const idf = new Float32Array(R);
  for (let f = 0; f < R; f++) {
    const j = x.column[f]!;
    if (j < 0) continue; // never seen in training: no weight, and left out of the norm as well
    idf[f] = x.idf[j]!;
    for (let c = 0; c < k; c++) embeddings[f * k + c] = x.idf[j]! * theta[j * k + c]!;
  }
  const weights = new Float32Array(k * k);
  for (let c = 0; c < k; c++) weights[c * k + c] = 1;
  return {
    spec,
    dim: k,
    numClasses: k,
    embeddings,
    weights,
    bias: Float32Array.from(theta.subarray(k * F)),
    idf,
    idfColumns: k,
  };
}

export function trainLinear(
  trainSet: EncodedSet,
  devSet: EncodedSet,
  labelNames: readonly string[],
  spec: HashSpec,
  o: LinearOptions,
  predict: (p: CompactParams, set: EncodedSet) => Float32Array[],
): TrainResult {
  const k = labelNames.length;
  const x = buildDesign(trainSet, spec, o.ngrams);
  const raw = Float64Array.from(trainSet.labels, (y, d) => (o.classWeights[y] ?? 1) * (trainSet.weights?.[d] ?? 1));
  const total = raw.reduce((a, b) => a + b, 0);
  // The loss is averaged over the row weight, so C means the same for any data size.
  const rowWeights = raw.map((w) => w / total);
  const lambda = 1 / (o.c * total);
  const theta = new Float64Array(k * x.idf.length + k);
  const run = lbfgs((t, g) => objective(x, trainSet, k, rowWeights, lambda, t, g), theta, o.iterations);
  const params = toParams(x, theta, spec, k);
  const dev = evaluate(labelNames, devSet.labels, predict(params, devSet));
  const rec = {
    epoch: run.iterations,
    train_loss: run.value,
    dev_accuracy: dev.accuracy,
    dev_macro_f1: dev.macro_f1,
    lr: 0,
  };
  return { params, history: [rec], bestEpoch: run.iterations, dev };
}
