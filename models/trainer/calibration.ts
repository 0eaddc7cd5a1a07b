// Probability calibration of the compact model: one temperature fitted on the early-stopping dev
// split (part of the training data, so the evaluation sets stay unseen), plus the decision offsets
// chosen by cross-validation. Both fold into the classifier layer (W/T, b/T + offsets), so the
// exported graph is unchanged and exact. Pure.
import { logitsOf, pool, type CompactParams } from './fasttext.js';
import { evaluate } from './metrics.js';
import type { EncodedSet } from './train.js';

export interface Calibration {
  method: 'temperature';
  temperature: number;
  offsets: number[];
  fitted_on: string;
  dev_rows: number;
  dev_nll_before: number;
  dev_nll_after: number;
  dev_ece_before: number;
  dev_ece_after: number;
}

function devLogits(p: CompactParams, set: EncodedSet): Float32Array[] {
  const h = new Float32Array(p.dim);
  return set.rows.map((r) => {
    const z = new Float32Array(p.numClasses);
    pool(p, r, h);
    logitsOf(p, h, z);
    return z;
  });
}

function probsAt(logits: Float32Array[], t: number, offsets: readonly number[]): number[][] {
  return logits.map((z) => {
    const s = Array.from(z, (v, c) => v / t + (offsets[c] ?? 0));
    const m = Math.max(...s);
    const e = s.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  });
}

type Targets = EncodedSet['targets'];

/** Mean cross-entropy against the hard labels, or against a row's soft target where it has one. */
function nll(probs: number[][], labels: number[], targets?: Targets): number {
  const rowLoss = (p: number[], i: number): number => {
    const t = targets?.[i];
    if (!t) return -Math.log(Math.max(1e-12, p[labels[i]!]!));
    return p.reduce((s, pc, c) => s - (t[c]! > 0 ? t[c]! * Math.log(Math.max(1e-12, pc)) : 0), 0);
  };
  return probs.reduce((s, p, i) => s + rowLoss(p, i), 0) / Math.max(1, probs.length);
}

/** Golden-section search of the temperature minimising dev NLL over [0.2, 5]. */
function fitTemperature(
  logits: Float32Array[],
  labels: number[],
  offsets: readonly number[],
  targets?: Targets,
): number {
  const f = (t: number): number => nll(probsAt(logits, t, offsets), labels, targets);
  const g = (Math.sqrt(5) - 1) / 2;
  let a = 0.2;
  let b = 5;
  for (let i = 0; i < 60; i++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (f(c) < f(d)) b = d;
    else a = c;
  }
  return (a + b) / 2;
}

/**
 * Fits the temperature of `p` on the dev split and folds it and the offsets into `target` (default
 * `p`): after a refit on every row, `p` is the early-stopped model and `target` the refitted one.
 */
export function calibrate(
  p: CompactParams,
  dev: EncodedSet,
  offsets: readonly number[],
  target: CompactParams = p,
): { params: CompactParams; calibration: Calibration } {
  const labels = dev.labels;
  const logits = devLogits(p, dev);
  // A distilled student is fitted to the teacher's probabilities, not to its top labels.
  const t = fitTemperature(logits, labels, offsets, dev.targets);
  const before = probsAt(logits, 1, offsets);
  const after = probsAt(logits, t, offsets);
  const names = Array.from({ length: p.numClasses }, (_, i) => String(i));
  const weights = target.weights.map((w) => w / t);
  const bias = target.bias.map((b, c) => b / t + (offsets[c] ?? 0));
  return {
    params: { ...target, weights, bias },
    calibration: {
      method: 'temperature',
      temperature: t,
      offsets: [...offsets],
      fitted_on: 'early-stopping dev split (10 % of the training rows)',
      dev_rows: labels.length,
      dev_nll_before: nll(before, labels, dev.targets),
      dev_nll_after: nll(after, labels, dev.targets),
      dev_ece_before: evaluate(names, labels, before).ece,
      dev_ece_after: evaluate(names, labels, after).ece,
    },
  };
}
