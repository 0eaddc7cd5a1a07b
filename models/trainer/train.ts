// Training loop of the compact model: seeded shuffling, fastText's linearly decaying SGD, class
// weights for the skewed label mix, and early stopping on macro-F1 of a development split; the
// linear model (linear.ts) and the fastText + linear mix are dispatched from here too.
// Deterministic for a given seed and data. Pure: data in, parameters and history out.
import { featureRows, initParams, predictProba, sgdStep, rng, type CompactParams, type HashSpec } from './fasttext.js';
import { evaluate, type EvalMetrics } from './metrics.js';
import { trainLinear } from './linear.js';
import { mixLinear } from './ensemble.js';
import type { EncodedSet, EpochRecord, TrainResult } from './encoded.js';
import type { Manifest } from './manifest.js';

// The shared shapes live in encoded.ts, under both this module and linear.ts (which this one calls).
export type { EncodedSet, EpochRecord, TrainResult };

export interface TrainOptions {
  /**
   * fasttext: averaged 64-d n-gram embeddings (SGD); linear: TF-IDF logistic regression (linear.ts);
   * fasttext+linear: both, their logits mixed with `linearWeight` in one exported model.
   */
  model: 'fasttext' | 'linear' | 'fasttext+linear';
  /** fasttext+linear: the linear model's share of the mixed logits. */
  linearWeight: number;
  /** linear: inverse L2 strength (scikit-learn's C). */
  linearC: number;
  /** linear: L-BFGS iterations at most. */
  linearIterations: number;
  /** linear: longest n-gram (2: unigrams and bigrams). */
  linearNgrams: 2 | 3;
  dim: number;
  epochs: number;
  lr: number;
  l2: number;
  bigramBuckets: number;
  trigramBuckets: number;
  seed: number;
  /** balanced = n / (k * n_c); sqrt = its square root (milder); none = 1. */
  classWeighting: 'balanced' | 'sqrt' | 'none';
  /** Epochs without a better dev macro-F1 before stopping. */
  patience: number;
  /** fastText: false trains every epoch of the schedule and keeps the last, not the best dev epoch. */
  earlyStopping: boolean;
  /**
   * fastText: train exactly this many epochs on the learning-rate schedule of `epochs` and keep the
   * last, without early stopping: the refit on every training row once early stopping on the dev
   * split has chosen the count (pipeline.ts `trainManifestModel`, manifest `model.refit`).
   */
  refitEpochs?: number;
  /**
   * Added to the calibrated logits (negative, neutral, positive): the decision rule. The pipeline
   * takes them from the manifest's `decision_offsets` (chosen by `npm run model:cv`) unless given.
   */
  offsets: [number, number, number];
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  model: 'fasttext',
  linearC: 10,
  linearWeight: 0.7,
  linearIterations: 100,
  linearNgrams: 2,
  dim: 64,
  epochs: 10,
  lr: 0.5,
  l2: 0,
  bigramBuckets: 200_003,
  trigramBuckets: 200_003,
  seed: 42,
  classWeighting: 'sqrt',
  patience: 3,
  earlyStopping: true,
  offsets: [0, 0, 0],
};

export function encodeSet(
  tokenIds: number[][],
  labels: number[],
  spec: HashSpec,
  weights?: number[],
  targets?: (ArrayLike<number> | null)[],
): EncodedSet {
  return { rows: tokenIds.map((ids) => featureRows(ids, spec)), labels, weights, targets };
}

export function classWeights(labels: number[], k: number, mode: TrainOptions['classWeighting']): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const y of labels) counts[y]! += 1;
  return counts.map((c) => {
    if (mode === 'none' || c === 0) return 1;
    const w = labels.length / (k * c);
    return mode === 'sqrt' ? Math.sqrt(w) : w;
  });
}

export function predictSet(params: CompactParams, set: EncodedSet): Float32Array[] {
  return set.rows.map((r) => predictProba(params, r));
}

/** Stratified split by a seeded shuffle within each class. */
export function stratifiedSplit<T extends { label: number }>(
  items: T[],
  fraction: number,
  seed: number,
): { train: T[]; held: T[] } {
  const r = rng(seed);
  const byClass = new Map<number, T[]>();
  for (const it of items) byClass.set(it.label, [...(byClass.get(it.label) ?? []), it]);
  const train: T[] = [];
  const held: T[] = [];
  for (const group of [...byClass.keys()].sort().map((k) => byClass.get(k)!)) {
    const g = [...group];
    for (let i = g.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [g[i], g[j]] = [g[j]!, g[i]!];
    }
    const cut = Math.round(g.length * fraction);
    held.push(...g.slice(0, cut));
    train.push(...g.slice(cut));
  }
  return { train, held };
}

function copyParams(p: CompactParams): CompactParams {
  return { ...p, embeddings: p.embeddings.slice(), weights: p.weights.slice(), bias: p.bias.slice() };
}

export function trainCompact(
  trainSet: EncodedSet,
  devSet: EncodedSet,
  labelNames: readonly string[],
  spec: HashSpec,
  o: TrainOptions,
  onEpoch?: (r: EpochRecord) => void,
): TrainResult {
  const k = labelNames.length;
  const weights = classWeights(trainSet.labels, k, o.classWeighting);
  if (o.model !== 'fasttext') {
    const lin = { c: o.linearC, iterations: o.linearIterations, classWeights: weights, ngrams: o.linearNgrams };
    const linear = trainLinear(trainSet, devSet, labelNames, spec, lin, predictSet);
    if (o.model === 'linear') {
      onEpoch?.(linear.history[0]!);
      return linear;
    }
    const ft = trainCompact(trainSet, devSet, labelNames, spec, { ...o, model: 'fasttext' }, onEpoch);
    const params = mixLinear(ft.params, linear.params, o.linearWeight);
    const dev = evaluate(labelNames, devSet.labels, predictSet(params, devSet));
    return { params, history: [...ft.history, ...linear.history], bestEpoch: ft.bestEpoch, dev };
  }
  const params = initParams(spec, o.dim, k, o.seed);
  const r = rng(o.seed + 1);
  const order = trainSet.rows.map((_, i) => i);
  const totalSteps = o.epochs * order.length;
  const scratch = { h: new Float32Array(o.dim), z: new Float32Array(k), g: new Float32Array(o.dim) };
  const history: EpochRecord[] = [];
  let best: { params: CompactParams; epoch: number; dev: EvalMetrics } | null = null;
  let step = 0;
  const lastEpoch = o.refitEpochs ?? o.epochs;
  for (let epoch = 1; epoch <= lastEpoch; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let loss = 0;
    let lr = o.lr;
    for (const idx of order) {
      lr = o.lr * Math.max(0.0001, 1 - step / totalSteps);
      const y = trainSet.labels[idx]!;
      const w = weights[y]! * (trainSet.weights?.[idx] ?? 1);
      loss += sgdStep(params, trainSet.rows[idx]!, trainSet.targets?.[idx] ?? y, w, lr, o.l2, scratch);
      step += 1;
    }
    const dev = evaluate(labelNames, devSet.labels, predictSet(params, devSet));
    const rec = { epoch, train_loss: loss / order.length, dev_accuracy: dev.accuracy, dev_macro_f1: dev.macro_f1, lr };
    history.push(rec);
    onEpoch?.(rec);
    // A refit has no held-out rows to stop on (the dev rows are in its training set): it keeps the last epoch.
    if (o.refitEpochs !== undefined || !o.earlyStopping) best = epoch === lastEpoch ? { params, epoch, dev } : null;
    else if (!best || dev.macro_f1 > best.dev.macro_f1) best = { params: copyParams(params), epoch, dev };
    else if (epoch - best.epoch >= o.patience) break;
  }
  return { params: best!.params, history, bestEpoch: best!.epoch, dev: best!.dev };
}

/** The manifest's model choice as training options (CLI options still override them). */
export function manifestModelOptions(m: Pick<Manifest, 'model'>): Partial<TrainOptions> {
  if (!m.model) return {};
  const { kind, c, linear_weight, epochs, early_stopping } = m.model;
  return {
    model: kind,
    ...(c !== undefined ? { linearC: c } : {}),
    ...(linear_weight !== undefined ? { linearWeight: linear_weight } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(early_stopping !== undefined ? { earlyStopping: early_stopping } : {}),
  };
}
