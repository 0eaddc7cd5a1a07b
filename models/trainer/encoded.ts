// The shapes training passes around: an encoded data set, one epoch's record and a trained model.
// Their own module, below train.ts and linear.ts, so that neither imports the other for a type.
import type { CompactParams } from './fasttext.js';
import type { EvalMetrics } from './metrics.js';

export interface EncodedSet {
  rows: Int32Array[];
  labels: number[];
  /** Per-row weights (source weight x manifest); absent = 1. */
  weights?: number[];
  /** Per-row soft targets (a teacher's probabilities when distilling); null or absent = the hard label. */
  targets?: (ArrayLike<number> | null)[];
}

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  dev_accuracy: number;
  dev_macro_f1: number;
  lr: number;
}

export interface TrainResult {
  params: CompactParams;
  history: EpochRecord[];
  bestEpoch: number;
  dev: EvalMetrics;
}
