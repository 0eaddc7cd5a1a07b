// What the alerts processor reads from ClickHouse: the texts of a few sampled reviews, to quote the
// terms an alert's topics matched (the scored topic carries no text).
import type { ClickHouseStore } from '../../platform/clickhouse/store.js';
import { MAX_SCANNED_CHARS } from './reason.js';

/** Texts by review id (the first MAX_SCANNED_CHARS characters of each); unknown ids are absent. */
export async function reviewTexts(store: ClickHouseStore, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await store.query<{ review_id: string; text: string }>(
    `SELECT review_id, any(substringUTF8(text, 1, ${MAX_SCANNED_CHARS})) AS text FROM ${store.database}.reviews
     WHERE review_id IN {ids:Array(String)} GROUP BY review_id`,
    { ids: [...ids] },
  );
  return new Map(rows.map((r) => [r.review_id, r.text]));
}
