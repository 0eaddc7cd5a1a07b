// Pure logic of the drift processor: what a scored review contributes to a window, and what a
// closed window becomes (ClickHouse rows and DriftEvents). No I/O.
import { randomUUID } from 'node:crypto';
import type { DriftEvent, ScoredReview } from '../../schemas/types.generated.js';
import { UlasanError } from '../../platform/errors.js';
import { toDateTime64 } from '../../platform/time.js';
import { detect, type DetectorOptions, type FeatureResult, type ReferenceProfile } from './detector.js';
import { monitoredRecord } from '../../models/features/monitored.js';
import { SegmentedSummary, type MonitoredRecord } from './summary.js';
import type { ClosedWindow, WindowOptions } from './windows.js';

export interface Monitored {
  segment: string;
  record: MonitoredRecord;
  version: string;
}

/**
 * What the drift processor keeps of one Production prediction (shadow ones are not monitored). A
 * probability or feature that is NaN or infinite makes the record invalid (a dead letter): no
 * scorer of ours writes one, and counting it would skew every statistic of its window.
 */
export function monitoredOf(s: ScoredReview): Monitored | null {
  if (s.shadow) return null;
  const bad = Object.entries({
    prob_negative: s.prob_negative,
    prob_neutral: s.prob_neutral,
    prob_positive: s.prob_positive,
    ...s.features,
  })
    .filter(([, v]) => typeof v === 'number' && !Number.isFinite(v))
    .map(([k]) => k);
  if (bad.length) throw new UlasanError('DATA_INVALID', `non-finite values in ${bad.join(', ')}`);
  const confidence = Math.max(s.prob_negative, s.prob_neutral, s.prob_positive);
  const record = monitoredRecord({
    features: s.features ?? {},
    confidence,
    label: s.label,
    appId: s.app_id,
    rating: s.rating,
  });
  return { segment: s.app_id, record, version: s.model_version };
}

/** Window state: one bounded summary per segment (app). */
export function summaryWindows(
  maxSegments: number,
): Pick<WindowOptions<SegmentedSummary, Monitored>, 'create' | 'add'> {
  return {
    create: () => new SegmentedSummary(maxSegments),
    add: (state, m) => state.add(m.segment, m.record, m.version),
  };
}

export interface WindowOutput {
  tested: boolean;
  drifted: boolean;
  severity: number;
  rows: number;
  metricRows: Record<string, unknown>[];
  windowRow: Record<string, unknown>;
  events: DriftEvent[];
}

const PROFILE_MEANS = ['char_count', 'word_count', 'confidence', 'emoji_count'];

type Common = Record<string, unknown>;

/** Two drift_metrics rows per tested feature: its test, and its PSI (drift at 0.2). */
function metricRows(results: FeatureResult[], common: Common): Record<string, unknown>[] {
  return results.flatMap((r) => [
    {
      event_id: randomUUID(),
      ...common,
      feature: r.feature,
      test: r.test,
      statistic: r.statistic,
      p_value: r.pValue,
      threshold: r.threshold,
      drifted: r.drifted,
    },
    {
      event_id: randomUUID(),
      ...common,
      feature: r.feature,
      test: 'psi',
      statistic: r.psi,
      p_value: null,
      threshold: 0.2,
      drifted: r.psi >= 0.2,
    },
  ]);
}

/** One feature's verdict of one window and segment, as a DriftEvent. */
export function driftEvent(
  r: FeatureResult,
  label: string,
  segment: string,
  win: { start: number; end: number },
  rows: number,
  version: string,
  now: number,
): DriftEvent {
  return {
    event_id: randomUUID(),
    window_start: win.start,
    window_end: win.end,
    window_size: label,
    segment,
    feature: r.feature,
    test: r.test,
    statistic: r.statistic,
    p_value: r.pValue,
    threshold: r.threshold,
    verdict: r.drifted ? 'drift' : 'no_drift',
    sample_size: rows,
    model_version: version,
    emitted_at: now,
  };
}

/** A closed window tested against the reference (when it has enough rows), as rows and events. */
export function windowOutput(
  label: string,
  win: ClosedWindow<SegmentedSummary>,
  ref: ReferenceProfile | null,
  o: DetectorOptions & { minRows: number; fallbackVersion: string },
  now: number,
): WindowOutput {
  const total = win.state.total();
  // No reference yet (a window reference still being captured): stored, not tested.
  const tested = ref !== null && total.rows >= o.minRows && ref.rows >= o.minRows;
  const d = tested ? detect(ref, total, o) : { results: [] as FeatureResult[], drifted: false };
  const version = total.lastVersion || o.fallbackVersion;
  const severity = d.results.length ? d.results.filter((r) => r.drifted).length / d.results.length : 0;
  const base = { window_start: toDateTime64(win.start), window_end: toDateTime64(win.end), window_size: label };
  const common = { ...base, sample_size: total.rows, model_version: version, emitted_at: toDateTime64(now) };
  const profile = {
    rows: total.rows,
    segments: win.state.segments.size,
    means: Object.fromEntries(PROFILE_MEANS.map((f) => [f, total.mean(f)])),
    label_mix: total.counts('predicted_label'),
  };
  const windowRow = {
    ...base,
    rows: total.rows,
    tested,
    drifted: d.drifted,
    severity,
    method: o.method,
    model_version: version,
    profile: JSON.stringify(profile),
    closed_at: toDateTime64(now),
  };
  const events = d.results.map((r) => driftEvent(r, label, 'all', win, total.rows, version, now));
  return {
    tested,
    drifted: d.drifted,
    severity,
    rows: total.rows,
    metricRows: metricRows(d.results, common),
    windowRow,
    events,
  };
}
