// What people complain about, which release made it worse and when to look: the status page's
// alerts, topics over time, sentiment and topic share per app version, and emerging words. Plain
// SQL with query parameters (the same on chdb and a ClickHouse server, tested on chdb); the
// folding on top is pure TypeScript below, unit-tested. App versions and topic names come from
// outside (scrapers, a user-editable taxonomy): they are cut to VERSION_CHARS / TOPIC_CHARS here so
// a hostile 1 MB version string costs the page nothing.
import type { ClickHouseStore } from '../platform/clickhouse/store.js';
import type { Filter } from './dashboard-queries.js';
import { emergingTerms, type AppEmergingTerms, type PeriodTermCount, type PeriodTotal } from './terms.js';

export const VERSION_CHARS = 64;
const TOPIC_CHARS = 64;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const range =
  'created_at >= fromUnixTimestamp64Milli({from:Int64}) AND created_at < fromUnixTimestamp64Milli({to:Int64})';
const byApp = (f: Filter): string => (f.app === null ? '' : ' AND app_id = {app:String}');
const params = (f: Filter): Record<string, unknown> => ({ from: f.from, to: f.to, app: f.app ?? '' });
const version = (column: string): string => `substring(${column}, 1, ${VERSION_CHARS})`;

export interface AlertRow {
  alert_id: string;
  app_id: string;
  kind: string;
  app_version: string | null;
  window_start: number;
  window_end: number;
  topics: string[];
  status: string;
  reason: string;
  baseline_share: number;
  current_share: number;
  reviews: number;
  statistic: number;
  opened_at: number;
  updated_at: number;
}

/** Alerts whose window overlaps the range, newest first, each in its latest state (FINAL). */
export async function alerts(store: ClickHouseStore, f: Filter, limit = 200): Promise<AlertRow[]> {
  // Aliases differ from the column names: an alias named like a column would shadow it in WHERE.
  const ms = (c: string) => `toUnixTimestamp64Milli(${c}) AS ${c}_ms`;
  const rows = await store.query<Record<string, unknown>>(
    `SELECT alert_id, app_id, toString(kind) AS alert_kind,
       if(isNull(app_version), NULL, ${version('app_version')}) AS version,
       ${ms('window_start')}, ${ms('window_end')},
       arrayMap(t -> substring(t, 1, ${TOPIC_CHARS}), topics) AS topic_names,
       toString(status) AS state, substring(reason, 1, 2000) AS why, baseline_share, current_share, reviews, statistic,
       ${ms('opened_at')}, ${ms('updated_at')}
     FROM ${store.database}.alerts FINAL
     WHERE window_end >= fromUnixTimestamp64Milli({from:Int64}) AND window_start < fromUnixTimestamp64Milli({to:Int64})
       ${byApp(f)}
     ORDER BY opened_at_ms DESC, alert_id LIMIT {limit:UInt32}`,
    { ...params(f), limit },
  );
  return rows.map((r) => ({
    alert_id: String(r.alert_id),
    app_id: String(r.app_id),
    kind: String(r.alert_kind),
    app_version: r.version === null || r.version === undefined ? null : String(r.version),
    window_start: Number(r.window_start_ms),
    window_end: Number(r.window_end_ms),
    topics: (r.topic_names as string[]) ?? [],
    status: String(r.state),
    reason: String(r.why),
    baseline_share: Number(r.baseline_share),
    current_share: Number(r.current_share),
    reviews: Number(r.reviews),
    statistic: Number(r.statistic),
    opened_at: Number(r.opened_at_ms),
    updated_at: Number(r.updated_at_ms),
  }));
}

export interface TopicSeries {
  /** Bucket starts (ms) and how many scored reviews each bucket has. */
  t: number[];
  reviews: number[];
  /** The most frequent topics of the range, each with its review count per bucket. */
  topics: { topic: string; total: number; counts: number[] }[];
}

/** Reviews per topic over time (a review with two topics counts in both), the `top` topics of the range. */
export async function topicsOverTime(store: ClickHouseStore, f: Filter, top = 8): Promise<TopicSeries> {
  const start = f.bucket === 'hour' ? 'toStartOfHour' : 'toStartOfDay';
  const db = store.database;
  const [totals, rows] = await Promise.all([
    store.query<{ t: string; n: string }>(
      `SELECT toUnixTimestamp(${start}(created_at)) * 1000 AS t, count() AS n
       FROM ${db}.predictions FINAL WHERE ${range}${byApp(f)} GROUP BY t ORDER BY t`,
      params(f),
    ),
    store.query<{ t: string; topic_name: string; n: string }>(
      `SELECT toUnixTimestamp(${start}(created_at)) * 1000 AS t, substring(topic, 1, ${TOPIC_CHARS}) AS topic_name,
         count() AS n
       FROM ${db}.predictions FINAL ARRAY JOIN arrayDistinct(topics) AS topic
       WHERE ${range}${byApp(f)} GROUP BY t, topic_name ORDER BY t LIMIT 50000`,
      params(f),
    ),
  ]);
  return topicSeries(
    totals.map((r) => ({ t: Number(r.t), n: Number(r.n) })),
    rows.map((r) => ({ t: Number(r.t), topic: r.topic_name, n: Number(r.n) })),
    top,
  );
}

/** Pure: per-bucket topic counts aligned on the buckets that have reviews, the `top` topics only. */
export function topicSeries(
  totals: { t: number; n: number }[],
  rows: { t: number; topic: string; n: number }[],
  top: number,
): TopicSeries {
  const index = new Map(totals.map((r, i) => [r.t, i]));
  const byTopic = new Map<string, number[]>();
  for (const r of rows) {
    const i = index.get(r.t);
    if (i === undefined) continue;
    let counts = byTopic.get(r.topic);
    if (!counts) byTopic.set(r.topic, (counts = totals.map(() => 0)));
    counts[i]! += r.n;
  }
  const topics = [...byTopic.entries()]
    .map(([topic, counts]) => ({ topic, total: counts.reduce((s, v) => s + v, 0), counts }))
    .sort((a, b) => b.total - a.total || a.topic.localeCompare(b.topic))
    .slice(0, top);
  return { t: totals.map((r) => r.t), reviews: totals.map((r) => r.n), topics };
}

export interface VersionCountRow {
  app_id: string;
  app_version: string;
  reviews: number;
  negative: number;
  neutral: number;
  positive: number;
  first_seen: number;
  last_seen: number;
}

export interface VersionTopicRow {
  app_id: string;
  app_version: string;
  topic: string;
  n: number;
}

export interface TopicShare {
  topic: string;
  reviews: number;
  share: number;
  /** Share minus the previous version's (null for the first version shown). */
  change: number | null;
}

export interface AppVersionRow {
  app_version: string;
  reviews: number;
  negative_share: number;
  neutral_share: number;
  positive_share: number;
  /** Negative share minus the previous version's (null for an app's first version). */
  negative_change: number | null;
  previous_version: string | null;
  first_seen: number;
  last_seen: number;
  topics: TopicShare[];
}

export interface AppVersions {
  app_id: string;
  /** Newest release first (by when its first review arrived). */
  versions: AppVersionRow[];
}

/** Sentiment and topic share per app version: counts from ClickHouse, folded by appVersions. */
export async function versionCounts(
  store: ClickHouseStore,
  f: Filter,
): Promise<{ counts: VersionCountRow[]; topics: VersionTopicRow[] }> {
  const db = store.database;
  const where = `${range}${byApp(f)} AND app_version IS NOT NULL AND app_version != ''`;
  const [counts, topics] = await Promise.all([
    store.query<Record<string, string>>(
      `SELECT app_id, ${version('assumeNotNull(app_version)')} AS v, count() AS reviews,
         countIf(label = 'negative') AS negative, countIf(label = 'neutral') AS neutral,
         countIf(label = 'positive') AS positive, toUnixTimestamp64Milli(min(created_at)) AS first_seen,
         toUnixTimestamp64Milli(max(created_at)) AS last_seen
       FROM ${db}.predictions FINAL WHERE ${where} GROUP BY app_id, v ORDER BY app_id, first_seen LIMIT 5000`,
      params(f),
    ),
    store.query<Record<string, string>>(
      `SELECT app_id, ${version('assumeNotNull(app_version)')} AS v, substring(topic, 1, ${TOPIC_CHARS}) AS topic_name,
         count() AS n
       FROM ${db}.predictions FINAL ARRAY JOIN arrayDistinct(topics) AS topic
       WHERE ${where} GROUP BY app_id, v, topic_name LIMIT 50000`,
      params(f),
    ),
  ]);
  return {
    counts: counts.map((r) => ({
      app_id: r.app_id!,
      app_version: r.v!,
      reviews: Number(r.reviews),
      negative: Number(r.negative),
      neutral: Number(r.neutral),
      positive: Number(r.positive),
      first_seen: Number(r.first_seen),
      last_seen: Number(r.last_seen),
    })),
    topics: topics.map((r) => ({ app_id: r.app_id!, app_version: r.v!, topic: r.topic_name!, n: Number(r.n) })),
  };
}

function topicShares(
  own: Map<string, number>,
  reviews: number,
  previous: { shares: Map<string, number> } | null,
  top: number,
): TopicShare[] {
  return [...own.entries()]
    .map(([topic, n]) => {
      const share = n / reviews;
      const change = previous ? share - (previous.shares.get(topic) ?? 0) : null;
      return { topic, reviews: n, share, change };
    })
    .sort((a, b) => b.reviews - a.reviews || a.topic.localeCompare(b.topic))
    .slice(0, top);
}

/**
 * Pure: each app's versions in release order (first review seen), each against the one released
 * before it ("this release vs the previous one"), newest first, the latest `perApp` per app.
 */
export function appVersions(
  counts: VersionCountRow[],
  topics: VersionTopicRow[],
  perApp = 6,
  topTopics = 5,
): AppVersions[] {
  const topicOf = new Map<string, Map<string, number>>();
  for (const t of topics) {
    const key = `${t.app_id}\u0000${t.app_version}`;
    let m = topicOf.get(key);
    if (!m) topicOf.set(key, (m = new Map()));
    m.set(t.topic, (m.get(t.topic) ?? 0) + t.n);
  }
  const byApp = new Map<string, VersionCountRow[]>();
  for (const c of counts) byApp.set(c.app_id, [...(byApp.get(c.app_id) ?? []), c]);
  return [...byApp.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([app_id, rows]) => {
      const ordered = [...rows].sort(
        (a, b) => a.first_seen - b.first_seen || a.app_version.localeCompare(b.app_version),
      );
      let previous: { version: string; negative: number; shares: Map<string, number> } | null = null;
      const out: AppVersionRow[] = [];
      for (const r of ordered) {
        const own = topicOf.get(`${app_id}\u0000${r.app_version}`) ?? new Map<string, number>();
        const negative = r.negative / r.reviews;
        out.push({
          app_version: r.app_version,
          reviews: r.reviews,
          negative_share: negative,
          neutral_share: r.neutral / r.reviews,
          positive_share: r.positive / r.reviews,
          negative_change: previous ? negative - previous.negative : null,
          previous_version: previous?.version ?? null,
          first_seen: r.first_seen,
          last_seen: r.last_seen,
          topics: topicShares(own, r.reviews, previous, topTopics),
        });
        const shares = new Map([...own.entries()].map(([k, n]) => [k, n / r.reviews]));
        previous = { version: r.app_version, negative, shares };
      }
      return { app_id, versions: out.reverse().slice(0, perApp) };
    });
}

/** The reviews an emerging-terms query reads at most (newest first): a busy month stays one bounded query. */
export const EMERGING_SAMPLE = 50_000;

/** Where the recent period starts: the last quarter of the range, at least an hour and at most 7 days. */
export function recentStart(f: Filter): number {
  const span = Math.min(7 * DAY, Math.max(HOUR, Math.round((f.to - f.from) / 4)));
  return Math.max(f.from, f.to - span);
}

export interface EmergingPanel {
  recent_from: number;
  baseline_from: number;
  to: number;
  apps: AppEmergingTerms[];
}

/** Emerging words per app: word counts of recent and baseline negative reviews, scored by emergingTerms. */
export async function emerging(store: ClickHouseStore, f: Filter): Promise<EmergingPanel> {
  const db = store.database;
  const p = { ...params(f), split: recentStart(f) };
  const recent = 'created_at >= fromUnixTimestamp64Milli({split:Int64})';
  // Word counts and totals come from the same sample, so shares stay shares when it is cut.
  const negatives = `SELECT review_id, app_id, ${recent} AS recent FROM ${db}.predictions FINAL
    WHERE label = 'negative' AND ${range}${byApp(f)} ORDER BY created_at DESC LIMIT ${EMERGING_SAMPLE}`;
  const [counts, totals] = await Promise.all([
    store.query<Record<string, string | number | boolean>>(
      `SELECT p.app_id AS app_id, p.recent AS recent, term, count() AS n
       FROM (${negatives}) AS p
       INNER JOIN (SELECT review_id, text FROM ${db}.reviews FINAL WHERE ${range}${byApp(f)}) AS r
         ON r.review_id = p.review_id
       ARRAY JOIN arrayDistinct(extractAll(lower(r.text), '[a-z]{3,}')) AS term
       GROUP BY app_id, recent, term ORDER BY n DESC LIMIT 40000`,
      p,
    ),
    store.query<Record<string, string | number | boolean>>(
      `SELECT app_id, recent, count() AS reviews FROM (${negatives}) GROUP BY app_id, recent`,
      p,
    ),
  ]);
  const isRecent = (v: unknown): boolean => v === true || Number(v) === 1;
  const termRows: PeriodTermCount[] = counts.map((r) => ({
    app_id: String(r.app_id),
    recent: isRecent(r.recent),
    term: String(r.term),
    n: Number(r.n),
  }));
  const totalRows: PeriodTotal[] = totals.map((r) => ({
    app_id: String(r.app_id),
    recent: isRecent(r.recent),
    reviews: Number(r.reviews),
  }));
  return { recent_from: p.split, baseline_from: f.from, to: f.to, apps: emergingTerms(termRows, totalRows) };
}
