// Pure: one closed window, per segment (every app, and 'all'), against that segment's own reference
// (references.ts): rows for `drift_segment_windows` with a readable reason per drifted window, and
// DriftEvents that name the segment.
import { toDateTime64 } from '../../platform/time.js';
import { detect, type DetectorOptions, type FeatureResult, type ReferenceProfile } from './detector.js';
import { driftEvent } from './handler.js';
import type { DriftEvent } from '../../schemas/types.generated.js';
import type { ReferenceBook } from './references.js';
import type { FeatureSummary, SegmentedSummary } from './summary.js';
import type { ClosedWindow } from './windows.js';

export const GLOBAL_SEGMENT = 'all';

const pct = (x: number): string => `${Math.round(x * 100)} %`;
const num = (x: number): string => (Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(2));

function shares(counts: Record<string, number>): Record<string, number> {
  const n = Object.values(counts).reduce((s, v) => s + v, 0) || 1;
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / n]));
}

/** "negative share 12 % -> 41 %": the category whose share moved most. */
function categoryReason(feature: string, ref: Record<string, number>, cur: Record<string, number>): string {
  const a = shares(ref);
  const b = shares(cur);
  let best = '';
  let delta = -1;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = Math.abs((b[k] ?? 0) - (a[k] ?? 0));
    if (d > delta) [best, delta] = [k, d];
  }
  const what = feature === 'predicted_label' ? best : `${feature} ${best}`;
  return `${what} share ${pct(a[best] ?? 0)} -> ${pct(b[best] ?? 0)}`;
}

/** "char_count median 54 -> 120". */
function numericReason(feature: string, ref: readonly number[], win: FeatureSummary): string {
  const median = (xs: readonly number[]): number => xs[Math.floor(xs.length / 2)] ?? 0;
  return `${feature} median ${num(median(ref))} -> ${num(median(win.sample(feature, 101)))}`;
}

/** A short reason per drifted window: the three strongest drifted features, in their own units. */
export function driftReason(results: FeatureResult[], ref: ReferenceProfile, win: FeatureSummary): string {
  return results
    .filter((r) => r.drifted)
    .sort((x, y) => y.statistic - x.statistic)
    .slice(0, 3)
    .map((r) =>
      r.feature in ref.categorical
        ? categoryReason(r.feature, ref.categorical[r.feature]!, win.counts(r.feature))
        : numericReason(r.feature, ref.numeric[r.feature] ?? [], win),
    )
    .join('; ');
}

export interface SegmentOutput {
  segment: string;
  tested: boolean;
  drifted: boolean;
  driftedFeatures: string[];
  row: Record<string, unknown>;
  events: DriftEvent[];
  /** The profile the segment was tested against (null while its reference is being captured). */
  profile: ReferenceProfile | null;
}

type Options = DetectorOptions & { minRows: number; fallbackVersion: string };

/** Each feature's test result as the `features` column holds it (the status page scores it against its threshold). */
function featureJson(results: ReturnType<typeof detect>['results']): string {
  const byFeature = results.map((r) => {
    const { test, statistic, pValue: p_value, threshold, psi, drifted } = r;
    return [r.feature, { test, statistic, p_value, threshold, psi, drifted }];
  });
  return JSON.stringify(Object.fromEntries(byFeature));
}

function testSegment(
  label: string,
  segment: string,
  win: ClosedWindow<SegmentedSummary>,
  summary: FeatureSummary,
  refs: ReferenceBook,
  o: Options,
  now: number,
): SegmentOutput {
  const version = summary.lastVersion || o.fallbackVersion;
  const role = refs.observe(label, segment, version, { start: win.start, summary });
  const profile = role.role === 'test' ? role.profile : null;
  const tested = profile !== null && summary.rows >= o.minRows && profile.rows >= o.minRows;
  const results = tested ? detect(profile, summary, o).results : [];
  const drifted = results.filter((r) => r.drifted);
  const features = featureJson(results);
  const ref = role.reference;
  const row = {
    window_size: label,
    segment,
    window_start: toDateTime64(win.start),
    window_end: toDateTime64(win.end),
    rows: summary.rows,
    role: role.role,
    tested,
    drifted: drifted.length > 0,
    severity: results.length ? drifted.length / results.length : 0,
    drifted_features: drifted.map((r) => r.feature),
    reason: profile && drifted.length ? driftReason(results, profile, summary) : '',
    features,
    reference_origin: ref.origin,
    reference_sources: ref.sources,
    reference_model_version: ref.modelVersion,
    reference_start: toDateTime64(ref.start),
    reference_end: toDateTime64(ref.end),
    reference_rows: ref.rows,
    model_version: version,
    closed_at: toDateTime64(now),
  };
  const events = results.map((r) => driftEvent(r, label, segment, win, summary.rows, version, now));
  return {
    segment,
    tested,
    drifted: drifted.length > 0,
    driftedFeatures: drifted.map((r) => r.feature),
    row,
    events,
    profile,
  };
}

/** Every segment of a closed window (and the global view first) against its own reference. */
export function segmentOutputs(
  label: string,
  win: ClosedWindow<SegmentedSummary>,
  refs: ReferenceBook,
  o: Options,
  now: number,
): SegmentOutput[] {
  const segments: [string, FeatureSummary][] = [[GLOBAL_SEGMENT, win.state.total()], ...win.state.segments];
  return segments.map(([segment, summary]) => testSegment(label, segment, win, summary, refs, o, now));
}
