// Registry history in ClickHouse (mirrored from the topic by the registry-mirror processor).
import type { ClickHouseStore } from '../clickhouse/store.js';

/**
 * Which version of `name` was in Production at `atMs` (epoch ms), or null. A version counts when
 * its newest stage event at that time is Production (promotions archive the previous Production).
 */
export async function productionAt(store: ClickHouseStore, name: string, atMs: number): Promise<number | null> {
  const rows = await store.query<{ version: number }>(
    `SELECT version
     FROM ${store.database}.model_versions FINAL
     WHERE name = {name:String} AND event_time <= fromUnixTimestamp64Milli({at:Int64})
     GROUP BY version
     HAVING argMax(toString(stage), event_time) = 'Production'
     ORDER BY max(event_time) DESC
     LIMIT 1`,
    { name, at: atMs },
  );
  return rows.length ? Number(rows[0]!.version) : null;
}

export interface StageChange {
  version: number;
  stage: string;
  event_time: string;
  reason: string;
  actor: string;
}

export async function stageHistory(store: ClickHouseStore, name: string): Promise<StageChange[]> {
  return store.query<StageChange & Record<string, unknown>>(
    `SELECT version, toString(stage) AS stage, event_time, reason, actor FROM ${store.database}.model_versions FINAL
     WHERE name = {name:String} ORDER BY event_time, version`,
    { name },
  );
}
