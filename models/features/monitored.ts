// What drift monitoring sees of one scored review (the numeric features, the model's confidence,
// the predicted label and the rating bucket), and the profile of a set of them that a model package
// carries as its drift reference. It lives with the features because training writes the profile
// (into the package, at training time) and the drift processor reads it: both must agree. Pure.
import { NUMERIC_FEATURES, type Features } from './features.js';

export interface MonitoredRecord {
  numeric: Record<string, number>;
  categorical: Record<string, string>;
}

export const NUMERIC_MONITORED = [...NUMERIC_FEATURES, 'confidence'] as const;
export const CATEGORICAL_MONITORED = ['predicted_label', 'app_id', 'rating_bucket'] as const;

export function ratingBucket(rating: number | null | undefined): string {
  if (rating === null || rating === undefined) return 'none';
  return rating <= 2 ? 'low' : rating === 3 ? 'mid' : 'high';
}

export function monitoredRecord(input: {
  features: Partial<Record<string, number>> | Features;
  confidence: number;
  label: string;
  appId?: string;
  rating?: number | null;
}): MonitoredRecord {
  const numeric: Record<string, number> = { confidence: input.confidence };
  for (const f of NUMERIC_FEATURES) {
    const v = (input.features as Record<string, unknown>)[f];
    if (typeof v === 'number') numeric[f] = v;
  }
  const categorical: Record<string, string> = {
    predicted_label: input.label,
    rating_bucket: ratingBucket(input.rating),
  };
  if (input.appId) categorical.app_id = input.appId;
  return { numeric, categorical };
}

/** A set of monitored records as the detector needs them: value samples and category counts. */
export interface MonitoredProfile {
  rows: number;
  /** Up to `cap` values per numeric feature (a deterministic stride sample), sorted ascending. */
  numeric: Record<string, number[]>;
  categorical: Record<string, Record<string, number>>;
}

export function monitoredProfile(records: readonly MonitoredRecord[], cap = 5000): MonitoredProfile {
  const stride = Math.max(1, Math.ceil(records.length / cap));
  const sample = records.filter((_, i) => i % stride === 0);
  const numeric: Record<string, number[]> = {};
  for (const f of NUMERIC_MONITORED)
    numeric[f] = sample
      .map((r) => r.numeric[f])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
      .sort((a, b) => a - b);
  const categorical: Record<string, Record<string, number>> = {};
  for (const f of CATEGORICAL_MONITORED) {
    const counts: Record<string, number> = {};
    for (const r of records) {
      const v = r.categorical[f];
      if (v !== undefined) counts[v] = (counts[v] ?? 0) + 1;
    }
    categorical[f] = counts;
  }
  return { rows: records.length, numeric, categorical };
}

/** Several profiles as one (the union of their samples and counts). */
export function poolProfiles(profiles: readonly MonitoredProfile[]): MonitoredProfile {
  const numeric: Record<string, number[]> = {};
  const categorical: Record<string, Record<string, number>> = {};
  for (const p of profiles) {
    for (const [f, xs] of Object.entries(p.numeric)) (numeric[f] ??= []).push(...xs);
    for (const [f, counts] of Object.entries(p.categorical)) {
      const into = (categorical[f] ??= {});
      for (const [k, n] of Object.entries(counts)) into[k] = (into[k] ?? 0) + n;
    }
  }
  for (const xs of Object.values(numeric)) xs.sort((a, b) => a - b);
  return { rows: profiles.reduce((s, p) => s + p.rows, 0), numeric, categorical };
}

/**
 * The drift reference a package carries (`drift-reference.json`): per evaluation set, the profile of
 * that held-out data as this model scores it. Written at training time, so the reference moves with
 * the model and needs no data directory where it is served.
 */
export interface PackageDriftReference {
  format: 1;
  feature_set_version: string;
  sources: Record<string, MonitoredProfile>;
}

export const DRIFT_REFERENCE_FILE = 'drift-reference.json';
