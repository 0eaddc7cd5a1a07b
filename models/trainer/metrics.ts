// Classification metrics written into every model package and training run. Pure.
import jstatModule from 'jstat';

const jStat = jstatModule;

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface EvalMetrics {
  accuracy: number;
  macro_f1: number;
  per_class: Record<string, ClassMetrics>;
  /** confusion[true][predicted] */
  confusion_matrix: number[][];
  /** Expected calibration error over 15 equal-width confidence bins. */
  ece: number;
  n: number;
}

export function evaluate(
  labels: readonly string[],
  truth: readonly number[],
  probs: readonly ArrayLike<number>[],
  bins = 15,
): EvalMetrics {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const binCount = new Array<number>(bins).fill(0);
  const binConf = new Array<number>(bins).fill(0);
  const binCorrect = new Array<number>(bins).fill(0);
  let correct = 0;
  truth.forEach((y, i) => {
    const p = probs[i]!;
    let best = 0;
    for (let c = 1; c < k; c++) if (p[c]! > p[best]!) best = c;
    confusion[y]![best]! += 1;
    if (best === y) correct += 1;
    const conf = p[best]!;
    const b = Math.min(bins - 1, Math.floor(conf * bins));
    binCount[b]! += 1;
    binConf[b]! += conf;
    binCorrect[b]! += best === y ? 1 : 0;
  });
  const n = truth.length;
  const perClass: Record<string, ClassMetrics> = {};
  let f1Sum = 0;
  labels.forEach((label, c) => {
    const tp = confusion[c]![c]!;
    const predicted = confusion.reduce((s, row) => s + row[c]!, 0);
    const support = confusion[c]!.reduce((s, v) => s + v, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[label] = { precision, recall, f1, support };
    f1Sum += f1;
  });
  let ece = 0;
  for (let b = 0; b < bins; b++)
    if (binCount[b]) ece += (binCount[b]! / n) * Math.abs(binCorrect[b]! / binCount[b]! - binConf[b]! / binCount[b]!);
  return {
    accuracy: n ? correct / n : 0,
    macro_f1: f1Sum / k,
    per_class: perClass,
    confusion_matrix: confusion,
    ece,
    n,
  };
}

/**
 * McNemar's exact test on paired verdicts: the two-sided binomial p of `onlyA` rows right only for one
 * model against `onlyB` right only for the other (1 when there are none). It tests "no difference",
 * for accuracy only, which is why the promotion gate bounds its differences with a paired bootstrap
 * and shows this beside it (processors/training-launcher/gate-stats.ts).
 */
export function mcnemarExactP(onlyA: number, onlyB: number): number {
  const discordant = onlyA + onlyB;
  if (!discordant) return 1;
  return Math.min(1, 2 * jStat.binomial.cdf(Math.min(onlyA, onlyB), discordant, 0.5));
}
