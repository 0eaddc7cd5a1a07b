// The promotion gate's statistics, pure: per-row predictions of two models on the same labelled rows,
// their accuracy / macro-F1 / ECE on any subset of rows, and a paired bootstrap of the differences.
//
// Why a paired bootstrap (and not McNemar): the gate needs a one-sided confidence bound on the
// difference of macro-F1 and of ECE as well as of accuracy, and it needs it against a margin
// (non-inferiority), not a test of "no difference". McNemar answers the latter, for accuracy only.
// Resampling the rows (the same draws for both models, so every row keeps its pair) gives a bound
// for any metric with the same code; a fixed seed makes the decision reproducible.
import { rng } from '../../models/trainer/fasttext.js';
import { mcnemarExactP } from '../../models/trainer/metrics.js';

/** One model's predictions on the gate's rows: the top class and its probability, per row. */
export interface Scored {
  pred: Int32Array;
  conf: Float64Array;
}

/** Probabilities per row (in the label order of `truth`) as the gate's per-row predictions. */
export function scoredOf(probs: readonly ArrayLike<number>[]): Scored {
  const pred = new Int32Array(probs.length);
  const conf = new Float64Array(probs.length);
  probs.forEach((p, i) => {
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
    pred[i] = best;
    conf[i] = p[best]!;
  });
  return { pred, conf };
}

export interface RowStats {
  accuracy: number;
  macro_f1: number;
  ece: number;
}

export const GATE_METRICS = ['accuracy', 'macro_f1', 'ece'] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

/** Work arrays for statsOf, reused across resamples. */
class Counts {
  readonly confusion: Float64Array;
  readonly binCount: Float64Array;
  readonly binConf: Float64Array;
  readonly binCorrect: Float64Array;
  constructor(
    readonly k: number,
    readonly bins: number,
  ) {
    this.confusion = new Float64Array(k * k);
    this.binCount = new Float64Array(bins);
    this.binConf = new Float64Array(bins);
    this.binCorrect = new Float64Array(bins);
  }
  reset(): void {
    this.confusion.fill(0);
    this.binCount.fill(0);
    this.binConf.fill(0);
    this.binCorrect.fill(0);
  }
}

/**
 * Accuracy, macro-F1 and ECE (15 equal-width confidence bins) of `s` on the rows `idx` (a row may
 * appear more than once: a bootstrap draw). The same definitions as models/trainer/metrics.ts, so
 * the gate's numbers on all rows equal the package metrics `npm run evaluate` prints.
 */
export function statsOf(truth: ArrayLike<number>, s: Scored, idx: ArrayLike<number>, k = 3, bins = 15): RowStats {
  return statsInto(new Counts(k, bins), Int32Array.from(truth), s, Int32Array.from(idx));
}

function statsInto(w: Counts, truth: Int32Array, s: Scored, idx: Int32Array): RowStats {
  w.reset();
  const { k, bins } = w;
  let correct = 0;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    const y = truth[i]!;
    const p = s.pred[i]!;
    const hit = p === y ? 1 : 0;
    w.confusion[y * k + p]! += 1;
    correct += hit;
    const b = Math.min(bins - 1, Math.floor(s.conf[i]! * bins));
    w.binCount[b]! += 1;
    w.binConf[b]! += s.conf[i]!;
    w.binCorrect[b]! += hit;
  }
  const n = idx.length;
  let f1Sum = 0;
  for (let c = 0; c < k; c++) {
    const tp = w.confusion[c * k + c]!;
    let predicted = 0;
    let support = 0;
    for (let r = 0; r < k; r++) {
      predicted += w.confusion[r * k + c]!;
      support += w.confusion[c * k + r]!;
    }
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    f1Sum += precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const m = w.binCount[b]!;
    if (m) ece += (m / n) * Math.abs(w.binCorrect[b]! / m - w.binConf[b]! / m);
  }
  return { accuracy: n ? correct / n : 0, macro_f1: f1Sum / k, ece };
}

/** Linear-interpolated quantile (type 7) of ascending values. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (!sorted.length) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** One-sided confidence of each bound (0.95: the 5th percentile is the lower bound). */
  confidence: number;
}

/** A difference (candidate minus reference) with its one-sided bootstrap bounds. */
export interface Interval {
  candidate: number;
  reference: number;
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * Paired percentile bootstrap over the rows `pop`: each resample draws |pop| rows with replacement
 * (the same rows for both models) and takes the difference of each metric. Returns the difference
 * on `pop` itself with the `confidence` lower and upper percentiles of the resampled differences.
 */
export function pairedBootstrap(
  truth: ArrayLike<number>,
  candidate: Scored,
  reference: Scored,
  pop: ArrayLike<number>,
  o: BootstrapOptions,
  k = 3,
): Record<GateMetric, Interval> {
  const w = new Counts(k, 15);
  // Typed arrays throughout: the resampling loop stays monomorphic (about 10x faster than plain arrays).
  const rows = Int32Array.from(pop);
  const y = Int32Array.from(truth);
  const cand = statsInto(w, y, candidate, rows);
  const ref = statsInto(w, y, reference, rows);
  const diffs = Object.fromEntries(GATE_METRICS.map((m) => [m, new Float64Array(o.resamples)])) as Record<
    GateMetric,
    Float64Array
  >;
  const draw = new Int32Array(rows.length);
  const random = rng(o.seed);
  for (let b = 0; b < o.resamples; b++) {
    for (let j = 0; j < draw.length; j++) draw[j] = rows[Math.floor(random() * rows.length)]!;
    const c = statsInto(w, y, candidate, draw);
    const r = statsInto(w, y, reference, draw);
    for (const m of GATE_METRICS) diffs[m][b] = c[m] - r[m];
  }
  const out = {} as Record<GateMetric, Interval>;
  for (const m of GATE_METRICS) {
    const sorted = diffs[m].sort();
    out[m] = {
      candidate: cand[m],
      reference: ref[m],
      estimate: cand[m] - ref[m],
      lower: quantile(sorted, 1 - o.confidence),
      upper: quantile(sorted, o.confidence),
    };
  }
  return out;
}

/** Where two models' verdicts differ on some rows, and whether the split of right answers could be chance. */
export interface PairedAgreement {
  rows: number;
  /** Rows whose top class differs between the two models. */
  changed: number;
  /** Rows only the candidate gets right, and rows only the reference gets right. */
  onlyCandidate: number;
  onlyReference: number;
  /** McNemar's exact test (two-sided binomial on the discordant rows): 1 when there are none. */
  mcnemarP: number;
}

/**
 * The row-by-row view a reader of small sets needs beside the bootstrap: on 97 rows one review is 0.01
 * of accuracy, so "2 rows against 1, p 1.0" says more than two decimals do. Not a gate check (see
 * above); reported next to the checks by `npm run gate:check`.
 */
export function pairedAgreement(
  truth: ArrayLike<number>,
  candidate: Scored,
  reference: Scored,
  idx: ArrayLike<number>,
): PairedAgreement {
  let changed = 0;
  let onlyCandidate = 0;
  let onlyReference = 0;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    const c = candidate.pred[i]!;
    const r = reference.pred[i]!;
    if (c === r) continue;
    changed += 1;
    if (c === truth[i]) onlyCandidate += 1;
    else if (r === truth[i]) onlyReference += 1;
  }
  const mcnemarP = mcnemarExactP(onlyCandidate, onlyReference);
  return { rows: idx.length, changed, onlyCandidate, onlyReference, mcnemarP };
}
