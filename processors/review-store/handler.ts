// Pure logic of the review store: a validated Review and its Kafka position become a ClickHouse row.
import type { Review } from '../../schemas/types.generated.js';

// One-entry memo: a batch stamps every row with the same scored_at/computed_at time.
let lastMs = NaN;
let lastText = '';

/** ClickHouse DateTime64(3) text form, UTC ('2026-01-02 03:04:05.678'), accepted by every version. */
export function toDateTime64(ms: number): string {
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
    lastMs = ms;
  }
  return lastText;
}

export function reviewRow(review: Review, partition: number, offset: string): Record<string, unknown> {
  return {
    review_id: review.review_id,
    app_id: review.app_id,
    source: review.source,
    text: review.text,
    rating: review.rating ?? null,
    lang: review.lang ?? null,
    author_hash: review.author_hash ?? null,
    created_at: toDateTime64(review.created_at),
    ingested_at: toDateTime64(review.ingested_at),
    kafka_partition: partition,
    kafka_offset: offset,
  };
}
