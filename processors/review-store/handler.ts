// Pure logic of the review store: a validated Review and its Kafka position become a ClickHouse row.
import type { Review } from '../../schemas/types.generated.js';
import { boundAppVersion } from '../kit/app-version.js';
import { toDateTime64 } from '../../platform/time.js';

export function reviewRow(review: Review, partition: number, offset: string): Record<string, unknown> {
  return {
    review_id: review.review_id,
    app_id: review.app_id,
    source: review.source,
    text: review.text,
    rating: review.rating ?? null,
    lang: review.lang ?? null,
    author_hash: review.author_hash ?? null,
    // Bounded here too: the topic may hold records from producers that did not bound it.
    app_version: boundAppVersion(review.app_version),
    created_at: toDateTime64(review.created_at, 'created_at'),
    ingested_at: toDateTime64(review.ingested_at, 'ingested_at'),
    kafka_partition: partition,
    kafka_offset: offset,
  };
}
