// What the trigger reads from ClickHouse each tick: training runs, feedback joined with the
// predictions it judges, and the latest drift windows.
import type { ClickHouseStore } from '../../platform/clickhouse/store.js';

async function num(store: ClickHouseStore, sql: string, params?: Record<string, unknown>): Promise<number | null> {
  const rows = await store.query<{ v: number | string | null }>(sql, params);
  const v = rows[0]?.v;
  return v === null || v === undefined ? null : Number(v);
}

export async function lastSucceededRun(store: ClickHouseStore, model: string): Promise<number | null> {
  const db = store.database;
  return num(
    store,
    `SELECT toUnixTimestamp64Milli(max(event_time)) AS v FROM ${db}.training_runs FINAL
     WHERE model_name = {m:String} AND status = 'succeeded' HAVING count() > 0`,
    { m: model },
  );
}

/**
 * Feedback since `since` that counts toward the data trigger: only feedback naming a review that was
 * scored (anyone can post a review id), one row per review and submitter (repeats collapse).
 */
export async function feedbackSince(store: ClickHouseStore, since: number): Promise<number> {
  const db = store.database;
  const sql = `SELECT count() AS v FROM ${db}.feedback FINAL
     WHERE given_at > fromUnixTimestamp64Milli({t:Int64})
       AND review_id IN (SELECT review_id FROM ${db}.predictions)`;
  return (await num(store, sql, { t: since })) ?? 0;
}

/** Feedback since `from` joined with its predictions: one row per (predicted, truth) pair. */
export async function judgedPairs(
  store: ClickHouseStore,
  from: number,
): Promise<{ predicted: string; truth: string; n: string }[]> {
  const db = store.database;
  return store.query(
    `SELECT toString(p.label) AS predicted, toString(f.true_label) AS truth, count() AS n
     FROM ${db}.feedback AS f FINAL
     INNER JOIN (SELECT review_id, label FROM ${db}.predictions FINAL) AS p ON p.review_id = f.review_id
     WHERE f.given_at >= fromUnixTimestamp64Milli({from:Int64}) GROUP BY predicted, truth`,
    { from },
  );
}

/** Label-free estimate (in the spirit of NannyML's CBPE): expected accuracy = mean confidence. */
export async function meanConfidenceSince(store: ClickHouseStore, from: number): Promise<number | null> {
  const sql = `SELECT avg(confidence) AS v FROM ${store.database}.predictions FINAL
     WHERE scored_at >= fromUnixTimestamp64Milli({from:Int64}) HAVING count() > 0`;
  return num(store, sql, { from });
}

export type SegmentWindow = {
  segment: string;
  drifted: boolean | number;
  severity: number;
  drifted_features: string[];
  reason: string;
  /** The model version whose reference the window was judged against. */
  reference_model_version: string;
};

/** Per segment, its newest tested windows of one size, newest first (empty without segment references). */
export async function latestSegmentWindows(store: ClickHouseStore, windowSize: string): Promise<SegmentWindow[]> {
  return store.query<SegmentWindow>(
    `SELECT segment, drifted, severity, drifted_features, reason, reference_model_version
     FROM ${store.database}.drift_segment_windows FINAL
     WHERE window_size = {w:String} AND tested ORDER BY segment, window_start DESC LIMIT 100 BY segment`,
    { w: windowSize },
  );
}

/** The newest tested windows of one size, newest first. */
export async function latestDriftWindows(
  store: ClickHouseStore,
  windowSize: string,
): Promise<{ drifted: boolean | number; severity: number }[]> {
  return store.query(
    `SELECT drifted, severity FROM ${store.database}.drift_windows FINAL
     WHERE window_size = {w:String} AND tested ORDER BY window_start DESC LIMIT 100`,
    { w: windowSize },
  );
}

/** Whether the training run a request started has finished (succeeded or failed). */
export async function requestFinished(store: ClickHouseStore, requestId: string): Promise<boolean> {
  const sql = `SELECT count() AS v FROM ${store.database}.training_runs FINAL
     WHERE request_id = {id:String} AND status IN ('succeeded', 'failed')`;
  return ((await num(store, sql, { id: requestId })) ?? 0) > 0;
}
