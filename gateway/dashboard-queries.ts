// What the status page's panels read from ClickHouse. Plain SQL with query parameters that runs the
// same on embedded chdb and on a ClickHouse server (tested on chdb); the arithmetic a panel needs on
// top (drift scores, distinctive terms) is pure TypeScript below, unit-tested.
import type { ClickHouseStore } from '../platform/clickhouse/store.js';
import { SENTIMENTS } from '../models/core/package.js';
import type { Sentiment } from '../schemas/types.generated.js';

export interface Filter {
  /** One app, or every app. */
  app: string | null;
  from: number;
  to: number;
  bucket: 'hour' | 'day';
}

const range =
  'created_at >= fromUnixTimestamp64Milli({from:Int64}) AND created_at < fromUnixTimestamp64Milli({to:Int64})';
const byApp = (f: Filter, column = 'app_id'): string => (f.app === null ? '' : ` AND ${column} = {app:String}`);
const params = (f: Filter): Record<string, unknown> => ({ from: f.from, to: f.to, app: f.app ?? '' });

export async function apps(store: ClickHouseStore, f: Filter): Promise<{ app_id: string; reviews: number }[]> {
  const rows = await store.query<{ app_id: string; reviews: string }>(
    `SELECT app_id, count() AS reviews FROM ${store.database}.predictions FINAL WHERE ${range}
     GROUP BY app_id ORDER BY reviews DESC, app_id LIMIT 100`,
    params(f),
  );
  return rows.map((r) => ({ app_id: r.app_id, reviews: Number(r.reviews) }));
}

export interface SentimentBucket {
  t: number;
  negative: number;
  neutral: number;
  positive: number;
}

export async function sentiment(store: ClickHouseStore, f: Filter): Promise<SentimentBucket[]> {
  const start = f.bucket === 'hour' ? 'toStartOfHour' : 'toStartOfDay';
  const rows = await store.query<Record<string, string>>(
    `SELECT toUnixTimestamp(${start}(created_at)) * 1000 AS t, countIf(label = 'negative') AS negative,
       countIf(label = 'neutral') AS neutral, countIf(label = 'positive') AS positive
     FROM ${store.database}.predictions FINAL WHERE ${range}${byApp(f)} GROUP BY t ORDER BY t`,
    params(f),
  );
  return rows.map((r) => ({
    t: Number(r.t),
    negative: Number(r.negative),
    neutral: Number(r.neutral),
    positive: Number(r.positive),
  }));
}

export interface DriftPoint {
  t: number;
  segment: string;
  /** The window's verdict, as the drift processor decided it (Benjamini-Hochberg across features). */
  drifted: boolean;
  /** Per feature: 1 is its threshold; above it, significant (see driftScore). Kept for API clients. */
  scores: Record<string, number>;
  /**
   * Per feature: the effect size as the population stability index (PSI) of the window against the
   * reference, one unit for every feature (0.1 a moderate shift, 0.25 a major one by the usual rule).
   */
  effects: Record<string, number>;
  /** The features the verdict names, and its reason in their own units ("negative share 12 % -> 41 %"). */
  drifted_features: string[];
  reason: string;
  rows: number;
}

interface FeatureResultJson {
  statistic?: number;
  p_value?: number | null;
  threshold?: number;
  psi?: number;
  drifted?: boolean;
}

/** PSI shown on the page: non-negative and finite, capped where the chart stops telling sizes apart. */
export function driftEffect(r: FeatureResultJson): number {
  const psi = Number(r.psi ?? 0);
  return Number.isFinite(psi) ? Math.min(2, Math.max(0, psi)) : 2;
}

/** The significance level windows were written without (rows before the threshold was stored). */
const DEFAULT_ALPHA = 0.05;

/**
 * One scale for every test: a p-value test scores -log10(p) / -log10(alpha), a distance scores
 * statistic / threshold; both are 1 at the threshold and above 1 when the feature drifted.
 */
export function driftScore(r: FeatureResultJson): number {
  if (r.p_value !== null && r.p_value !== undefined) {
    const alpha = r.threshold ?? DEFAULT_ALPHA;
    return Math.min(10, -Math.log10(Math.max(r.p_value, 1e-300)) / -Math.log10(alpha));
  }
  const t = r.threshold ?? 0;
  return t > 0 ? Math.min(10, (r.statistic ?? 0) / t) : 0;
}

/** The window size a panel shows: hourly or daily as the buckets are, else the size with the most windows. */
export function pickWindowSize(counts: Record<string, number>, bucket: Filter['bucket']): string | null {
  const wanted = bucket === 'hour' ? '1h' : '1d';
  if (counts[wanted]) return wanted;
  const sizes = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return sizes[0]?.[0] ?? null;
}

export async function drift(store: ClickHouseStore, f: Filter): Promise<DriftPoint[]> {
  // Every app at once: every segment's windows (the global 'all' and each app's), each with its own
  // verdict; the page marks a window drifted when any segment's verdict says so.
  const segment = byApp(f, 'segment');
  const rows = await store.query<{
    size: string;
    t: string;
    segment: string;
    drifted: string | boolean;
    features: string;
    drifted_features: string[];
    reason: string;
    rows: string;
  }>(
    `SELECT window_size AS size, toUnixTimestamp64Milli(window_end) AS t, segment, drifted, features,
       drifted_features, reason, rows
     FROM ${store.database}.drift_segment_windows FINAL
     WHERE tested AND window_end >= fromUnixTimestamp64Milli({from:Int64})
       AND window_end < fromUnixTimestamp64Milli({to:Int64})${segment}
     ORDER BY t, segment LIMIT 20000`,
    params(f),
  );
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.size] = (counts[r.size] ?? 0) + 1;
  const size = pickWindowSize(counts, f.bucket);
  return rows
    .filter((r) => r.size === size)
    .map((r) => {
      const features = JSON.parse(r.features || '{}') as Record<string, FeatureResultJson>;
      const scores = Object.fromEntries(Object.entries(features).map(([k, v]) => [k, driftScore(v)]));
      const effects = Object.fromEntries(Object.entries(features).map(([k, v]) => [k, driftEffect(v)]));
      return {
        t: Number(r.t),
        segment: r.segment,
        drifted: r.drifted === true || Number(r.drifted) === 1,
        scores,
        effects,
        drifted_features: r.drifted_features ?? [],
        reason: r.reason ?? '',
        rows: Number(r.rows),
      };
    });
}

export interface TimelineEvent {
  at: number;
  kind: 'request' | 'run' | 'promotion';
  label: string;
}

export async function timeline(store: ClickHouseStore, f: Filter): Promise<TimelineEvent[]> {
  const db = store.database;
  const p = { from: f.from, to: f.to };
  const within = (c: string) =>
    `${c} >= fromUnixTimestamp64Milli({from:Int64}) AND ${c} < fromUnixTimestamp64Milli({to:Int64})`;
  const [fired, runs, stages] = await Promise.all([
    store.query<{ at: string; reasons: string[]; by: string }>(
      `SELECT toUnixTimestamp64Milli(decided_at) AS at, reasons, requested_by AS by FROM ${db}.retrain_events
       WHERE decision = 'fired' AND ${within('decided_at')}`,
      p,
    ),
    store.query<{ at: string; status: string; by: string; why: string; version: string | null }>(
      `SELECT toUnixTimestamp64Milli(event_time) AS at, toString(status) AS status, params['requested_by'] AS by,
         if(params['request_reason'] != '', params['request_reason'], params['reasons']) AS why,
         model_version AS version
       FROM ${db}.training_runs FINAL WHERE ${within('event_time')}`,
      p,
    ),
    store.query<{ at: string; version: string; actor: string; reason: string }>(
      `SELECT toUnixTimestamp64Milli(event_time) AS at, version, actor, reason FROM ${db}.model_versions FINAL
       WHERE stage = 'Production' AND ${within('event_time')}`,
      p,
    ),
  ]);
  const events: TimelineEvent[] = [
    ...fired.map((r) => ({
      at: Number(r.at),
      kind: 'request' as const,
      label: `retrain requested: ${r.reasons.join(', ')}`,
    })),
    ...runs.map((r) => ({ at: Number(r.at), kind: 'run' as const, label: runLabel(r) })),
    ...stages.map((r) => ({
      at: Number(r.at),
      kind: 'promotion' as const,
      label: `v${r.version} to Production (${r.reason})`,
    })),
  ];
  return events.sort((a, b) => a.at - b.at);
}

function runLabel(r: { status: string; by: string; why: string; version: string | null }): string {
  const who = r.by ? ` by ${r.by}` : '';
  const what = r.status === 'succeeded' && r.version !== null ? ` -> v${r.version}` : '';
  return `run ${r.status}${what}: ${r.why}${who}`;
}

export interface NegativeReview {
  review_id: string;
  app_id: string;
  created_at: number;
  confidence: number;
  text: string;
}

export async function negatives(store: ClickHouseStore, f: Filter, limit = 20): Promise<NegativeReview[]> {
  const db = store.database;
  const rows = await store.query<Record<string, string>>(
    `SELECT p.review_id AS review_id, p.app_id AS app_id, toUnixTimestamp64Milli(p.created_at) AS created_at,
       p.confidence AS confidence, r.text AS text
     FROM (SELECT review_id, app_id, created_at, confidence FROM ${db}.predictions FINAL
           WHERE label = 'negative' AND ${range}${byApp(f)}
           ORDER BY created_at DESC, review_id LIMIT {limit:UInt32}) AS p
     INNER JOIN (SELECT review_id, text FROM ${db}.reviews FINAL WHERE ${range}${byApp(f)}) AS r
       ON r.review_id = p.review_id
     ORDER BY p.created_at DESC, p.review_id`,
    { ...params(f), limit },
  );
  return rows.map((r) => ({
    review_id: r.review_id!,
    app_id: r.app_id!,
    created_at: Number(r.created_at),
    confidence: Number(r.confidence),
    text: r.text!,
  }));
}

export const TERM_SAMPLE = 20_000;

export interface TermCount {
  label: Sentiment;
  term: string;
  n: number;
}

/**
 * How often each word (3+ letters, one count per review) appears in reviews predicted with each label,
 * over the latest TERM_SAMPLE reviews of the range: a busy month stays one bounded query.
 */
export async function termCounts(store: ClickHouseStore, f: Filter): Promise<TermCount[]> {
  const db = store.database;
  const rows = await store.query<{ label: string; term: string; n: string }>(
    `SELECT toString(p.label) AS label, term, count() AS n
     FROM (SELECT review_id, label FROM ${db}.predictions FINAL WHERE ${range}${byApp(f)}
           ORDER BY created_at DESC LIMIT ${TERM_SAMPLE}) AS p
     INNER JOIN (SELECT review_id, text FROM ${db}.reviews FINAL WHERE ${range}${byApp(f)}) AS r
       ON r.review_id = p.review_id
     ARRAY JOIN arrayDistinct(extractAll(lower(r.text), '[a-z]{3,}')) AS term
     GROUP BY label, term HAVING n >= 2 ORDER BY n DESC LIMIT 6000`,
    params(f),
  );
  return rows
    .filter((r) => (SENTIMENTS as readonly string[]).includes(r.label))
    .map((r) => ({ label: r.label as Sentiment, term: r.term, n: Number(r.n) }));
}

export interface VersionHistoryRow {
  version: number;
  stage: string;
  at: number;
  reason: string;
  actor: string;
  run_id: string | null;
  metrics: Record<string, number>;
}

export async function versionHistory(store: ClickHouseStore, model: string): Promise<VersionHistoryRow[]> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT version, toString(stage) AS stage, toUnixTimestamp64Milli(event_time) AS at, reason, actor, run_id, metrics
     FROM ${store.database}.model_versions FINAL WHERE name = {model:String} ORDER BY version, at`,
    { model },
  );
  return rows.map((r) => ({
    version: Number(r.version),
    stage: String(r.stage),
    at: Number(r.at),
    reason: String(r.reason),
    actor: String(r.actor),
    run_id: (r.run_id as string | null) ?? null,
    metrics: Object.fromEntries(
      Object.entries((r.metrics ?? {}) as Record<string, unknown>).map(([k, v]) => [k, Number(v)]),
    ),
  }));
}
