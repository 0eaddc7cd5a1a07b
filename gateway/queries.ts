// What the gateway reads from ClickHouse for its views.
import type { ClickHouseStore } from '../platform/clickhouse/store.js';
import type { DriftSegment, Stats } from './schemas.js';

export type Trend = { day: string; negative: number; neutral: number; positive: number }[];

/** The counts behind /stats: everything but the model, which the process knows itself. */
export async function statsCounts(store: ClickHouseStore): Promise<Omit<Stats, 'model'>> {
  const db = store.database;
  const one = async (sql: string): Promise<Record<string, unknown>> => (await store.query(sql))[0] ?? {};
  const v = await one(
    `SELECT count() AS total, countIf(scored_at >= now() - INTERVAL 1 DAY) AS day, countIf(label = 'negative') AS neg,
       countIf(label = 'neutral') AS neu, countIf(label = 'positive') AS pos FROM ${db}.predictions FINAL`,
  );
  const d = await one(
    `SELECT toString(window_start) AS start, drifted, severity FROM ${db}.drift_windows FINAL WHERE tested
     ORDER BY window_start DESC LIMIT 1`,
  );
  return {
    reviews_scored: Number(v.total ?? 0),
    last_24h: Number(v.day ?? 0),
    sentiment_mix: { negative: Number(v.neg ?? 0), neutral: Number(v.neu ?? 0), positive: Number(v.pos ?? 0) },
    drift: {
      latest_window: (d.start as string | undefined) ?? null,
      drifted: Boolean(d.drifted),
      severity: Number(d.severity ?? 0),
    },
  };
}

export async function trend(store: ClickHouseStore): Promise<Trend> {
  const rows = await store.query<{ day: string; negative: string; neutral: string; positive: string }>(
    `SELECT toString(day) AS day, sum(negative) AS negative, sum(neutral) AS neutral, sum(positive) AS positive
     FROM ${store.database}.trend_daily_sentiment GROUP BY day ORDER BY day`,
  );
  return rows.map((r) => ({
    day: r.day,
    negative: Number(r.negative),
    neutral: Number(r.neutral),
    positive: Number(r.positive),
  }));
}

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
    'reference_origin',
    'reference_sources',
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
      origin: String(r.reference_origin),
      sources: r.reference_sources as string[],
      model_version: String(r.reference_model_version),
      start: String(r.reference_start),
      end: String(r.reference_end),
      rows: Number(r.reference_rows),
    },
  };
}
