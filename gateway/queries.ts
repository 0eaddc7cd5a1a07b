// What the gateway reads from ClickHouse for its views.
import type { DriftSegment } from './schemas.js';

/** The latest window of every drift segment, with the reference it was judged against. */
export type DriftSegmentRow = Record<string, string | number | boolean | string[]>;

export const DRIFT_SEGMENTS_SQL = (db: string): string =>
  `SELECT window_size, segment, ${[
    'role',
    'tested',
    'drifted',
    'drifted_features',
    'reason',
    'reference_model_version',
    'reference_rows',
  ]
    .map((c) => `argMax(${c}, window_start) AS ${c}`)
    .join(', ')},
    toString(max(window_start)) AS latest_window, toString(argMax(reference_start, window_start)) AS reference_start,
    toString(argMax(reference_end, window_start)) AS reference_end
   FROM ${db}.drift_segment_windows FINAL GROUP BY window_size, segment ORDER BY window_size, segment`;

export function driftSegmentView(r: DriftSegmentRow): DriftSegment {
  return {
    window_size: String(r.window_size),
    segment: String(r.segment),
    latest_window: String(r.latest_window),
    role: String(r.role),
    tested: Boolean(Number(r.tested)),
    drifted: Boolean(Number(r.drifted)),
    drifted_features: r.drifted_features as string[],
    reason: String(r.reason),
    reference: {
      origin: 'window',
      model_version: String(r.reference_model_version),
      start: String(r.reference_start),
      end: String(r.reference_end),
      rows: Number(r.reference_rows),
    },
  };
}
