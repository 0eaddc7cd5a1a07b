// Compares one window of scored reviews with the reference profile of the Production model's
// training data. Pure.
//
// method 'pvalue' (default): KS for numeric features, chi-square for categorical ones, and a window
// is drifted when Benjamini-Hochberg at `alpha` rejects any feature. Under no drift that bounds the
// window's false-alarm rate by alpha (FDR = FWER when every null holds), which is what the
// stationary-window test measures.
// method 'evidently': Evidently's defaults: the same tests while the reference has <= 1,000 rows,
// else normed Wasserstein (numeric) and Jensen-Shannon (categorical) distances against 0.1.
// PSI (and the distances) are computed and stored for every feature either way.
import {
  CATEGORICAL_MONITORED,
  monitoredProfile,
  NUMERIC_MONITORED,
  type MonitoredProfile,
} from '../../models/features/monitored.js';
import {
  benjaminiHochberg,
  binCounts,
  chiSquareTest,
  jensenShannon,
  ksTest,
  psiCounts,
  quantileEdges,
  wassersteinNormed,
  type Counts,
} from './stats.js';
import { quantize, type FeatureSummary, type MonitoredRecord } from './summary.js';

export type { MonitoredRecord };

export { CATEGORICAL_MONITORED, NUMERIC_MONITORED };

export interface ReferenceProfile {
  rows: number;
  /** Up to `cap` values per numeric feature (a deterministic stride sample), sorted ascending. */
  numeric: Record<string, number[]>;
  categorical: Record<string, Counts>;
  edges: Record<string, number[]>;
}

export interface FeatureResult {
  feature: string;
  test: 'ks' | 'chi2' | 'wasserstein' | 'jensen_shannon';
  statistic: number;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  psi: number;
}

export interface DetectorOptions {
  alpha: number;
  method: 'pvalue' | 'evidently';
  distanceThreshold: number;
  /** Features whose reference has a single category or value carry no information and are skipped. */
  minReferenceCategories: number;
}

export const DEFAULT_DETECTOR: DetectorOptions = {
  alpha: 0.05,
  method: 'pvalue',
  distanceThreshold: 0.1,
  minReferenceCategories: 2,
};

export function buildReference(records: readonly MonitoredRecord[], cap = 5000): ReferenceProfile {
  return withEdges(monitoredProfile(records, cap));
}

/** A stored profile (e.g. the one a model package carries) with its PSI bin edges. */
export function withEdges(p: MonitoredProfile): ReferenceProfile {
  const edges: Record<string, number[]> = {};
  for (const f of NUMERIC_MONITORED) edges[f] = quantileEdges(p.numeric[f] ?? []);
  return { ...p, edges };
}

/**
 * A reference profile from a captured window summary (a production period of the same segment):
 * numeric features as a quantile sample of their sketches (already in the sketch's buckets, so
 * quantizing them again changes nothing), categorical ones as their counts.
 */
export function referenceFromSummary(s: FeatureSummary, cap = 1000): ReferenceProfile {
  const numeric: Record<string, number[]> = {};
  const edges: Record<string, number[]> = {};
  for (const f of NUMERIC_MONITORED) {
    numeric[f] = s.sample(f, cap);
    edges[f] = quantileEdges(numeric[f]);
  }
  const categorical: Record<string, Counts> = {};
  for (const f of CATEGORICAL_MONITORED) categorical[f] = s.counts(f);
  return { rows: s.rows, numeric, categorical, edges };
}

const quantizedCache = new WeakMap<ReferenceProfile, Map<string, number[]>>();

/** The reference values in the sketch's buckets (computed once per reference and feature). */
function quantizedReference(ref: ReferenceProfile, feature: string): number[] {
  let byFeature = quantizedCache.get(ref);
  if (!byFeature) quantizedCache.set(ref, (byFeature = new Map()));
  let q = byFeature.get(feature);
  if (!q)
    byFeature.set(feature, (q = (ref.numeric[feature] ?? []).map((v) => quantize(feature, v)).sort((a, b) => a - b)));
  return q;
}

/** A distance test (drift at the threshold) or a p-value test (drift decided by BH across features). */
function result(
  feature: string,
  test: FeatureResult['test'],
  statistic: number,
  pValue: number | null,
  psi: number,
  o: DetectorOptions,
): FeatureResult {
  const distance = pValue === null;
  const threshold = distance ? o.distanceThreshold : o.alpha;
  return { feature, test, statistic, pValue, threshold, drifted: distance && statistic >= threshold, psi };
}

function numericResult(
  ref: ReferenceProfile,
  window: FeatureSummary,
  f: string,
  o: DetectorOptions,
  useDistance: boolean,
): FeatureResult | null {
  const r = ref.numeric[f] ?? [];
  const n = window.size(f);
  if (r.length === 0 || n === 0 || new Set(r).size < o.minReferenceCategories) return null;
  const c = window.sample(f);
  const q = quantizedReference(ref, f);
  const psi = psiCounts(binCounts(r, ref.edges[f] ?? []), binCounts(c, ref.edges[f] ?? []));
  if (useDistance) return result(f, 'wasserstein', wassersteinNormed(q, c), null, psi, o);
  const ks = ksTest(q, c, { nb: n });
  return result(f, 'ks', ks.statistic, ks.pValue, psi, o);
}

function categoricalResult(
  ref: ReferenceProfile,
  window: FeatureSummary,
  f: string,
  o: DetectorOptions,
  useDistance: boolean,
): FeatureResult | null {
  const r = ref.categorical[f] ?? {};
  const c = window.counts(f);
  if (Object.keys(r).length < o.minReferenceCategories || Object.keys(c).length === 0) return null;
  const psi = psiCounts(r, c);
  if (useDistance) return result(f, 'jensen_shannon', jensenShannon(r, c), null, psi, o);
  const chi = chiSquareTest(r, c);
  return result(f, 'chi2', chi.statistic, chi.pValue, psi, o);
}

/**
 * Tests one window's summary against the reference. Numeric features read the window's sketch as a
 * quantile sample (its size is the true row count in the p-values); categorical ones exact counts.
 */
export function detect(
  ref: ReferenceProfile,
  window: FeatureSummary,
  o: DetectorOptions = DEFAULT_DETECTOR,
): { results: FeatureResult[]; drifted: boolean } {
  const useDistance = o.method === 'evidently' && ref.rows > 1000;
  const results = [
    ...NUMERIC_MONITORED.map((f) => numericResult(ref, window, f, o, useDistance)),
    ...CATEGORICAL_MONITORED.map((f) => categoricalResult(ref, window, f, o, useDistance)),
  ].filter((r): r is FeatureResult => r !== null);
  const withP = results.filter((r) => r.pValue !== null);
  const rejected = benjaminiHochberg(
    withP.map((r) => r.pValue!),
    o.alpha,
  );
  withP.forEach((r, i) => (r.drifted = rejected[i]!));
  return { results, drifted: results.some((r) => r.drifted) };
}
