// What GET /alerts reads from ClickHouse `alerts` (FINAL: the latest state of each alert_id).
// Plain SQL with query parameters, the same on embedded chdb and a ClickHouse server.
import type { ClickHouseStore } from '../../platform/clickhouse/store.js';
import type { AlertKind, AlertStatus } from '../../schemas/types.generated.js';

export interface AlertFilter {
  app_id?: string;
  kind?: AlertKind;
  status?: AlertStatus;
  /** Alerts alive in [from, to): updated at or after `from`, opened before `to` (ms, event time). */
  from: number;
  to: number;
  limit: number;
}

export interface AlertRow {
  alert_id: string;
  app_id: string;
  kind: AlertKind;
  app_version: string | null;
  window_start: number;
  window_end: number;
  topics: string[];
  status: AlertStatus;
  reason: string;
  baseline_share: number;
  current_share: number;
  reviews: number;
  statistic: number;
  opened_at: number;
  updated_at: number;
}

// Aliased apart from the columns: ClickHouse substitutes SELECT aliases into WHERE and ORDER BY.
const ms = (column: string): string => `toUnixTimestamp64Milli(${column}) AS ${column}_ms`;

export async function listAlerts(store: ClickHouseStore, f: AlertFilter): Promise<AlertRow[]> {
  const where = [
    'updated_at >= fromUnixTimestamp64Milli({from:Int64})',
    'opened_at < fromUnixTimestamp64Milli({to:Int64})',
    ...(f.app_id === undefined ? [] : ['app_id = {app:String}']),
    ...(f.kind === undefined ? [] : ['kind = {kind:String}']),
    ...(f.status === undefined ? [] : ['status = {status:String}']),
  ];
  const rows = await store.query<Record<string, unknown>>(
    `SELECT alert_id, app_id, kind, app_version, ${ms('window_start')}, ${ms('window_end')}, topics, status, reason,
       baseline_share, current_share, reviews, statistic, ${ms('opened_at')}, ${ms('updated_at')}
     FROM ${store.database}.alerts FINAL WHERE ${where.join(' AND ')}
     ORDER BY updated_at DESC, alert_id LIMIT {limit:UInt32}`,
    { from: f.from, to: f.to, app: f.app_id ?? '', kind: f.kind ?? '', status: f.status ?? '', limit: f.limit },
  );
  return rows.map((r) => ({
    alert_id: String(r.alert_id),
    app_id: String(r.app_id),
    kind: String(r.kind) as AlertKind,
    app_version: r.app_version === null ? null : String(r.app_version),
    window_start: Number(r.window_start_ms),
    window_end: Number(r.window_end_ms),
    topics: (r.topics as string[]) ?? [],
    status: String(r.status) as AlertStatus,
    reason: String(r.reason),
    baseline_share: Number(r.baseline_share),
    current_share: Number(r.current_share),
    reviews: Number(r.reviews),
    statistic: Number(r.statistic),
    opened_at: Number(r.opened_at_ms),
    updated_at: Number(r.updated_at_ms),
  }));
}

/** The port the plugin reads through (the real one on a store; fakes in tests). */
export interface AlertsPort {
  list(f: AlertFilter): Promise<AlertRow[]>;
}

export function alertsPort(store: ClickHouseStore): AlertsPort {
  return { list: (f) => listAlerts(store, f) };
}
