import { counter, histogram, type Registry } from '../../platform/metrics.js';

export function reviewStoreMetrics(registry: Registry) {
  return {
    consumed: counter(registry, { name: 'ulasan_review_store_consumed_total', help: 'Review records consumed' }),
    stored: counter(registry, { name: 'ulasan_review_store_stored_total', help: 'Reviews written to ClickHouse' }),
    deadLettered: counter(registry, {
      name: 'ulasan_review_store_dead_lettered_total',
      help: 'Records sent to the dead-letter topic',
      labelNames: ['code'],
    }),
    batchSeconds: histogram(registry, {
      name: 'ulasan_review_store_batch_seconds',
      help: 'Time to validate, store and commit one batch',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    }),
  };
}
