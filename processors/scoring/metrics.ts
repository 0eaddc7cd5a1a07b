import { Counter, Gauge, Histogram, type Registry } from '../shared/metrics.js';

export function scoringMetrics(registry: Registry) {
  return {
    consumed: new Counter({ name: 'ulasan_scoring_consumed_total', help: 'Review records consumed', registers: [registry] }),
    scored: new Counter({ name: 'ulasan_scoring_scored_total', help: 'Reviews scored and stored', labelNames: ['model_version'], registers: [registry] }),
    shadowScored: new Counter({ name: 'ulasan_scoring_shadow_scored_total', help: 'Reviews scored by the Staging model', labelNames: ['model_version'], registers: [registry] }),
    deadLettered: new Counter({ name: 'ulasan_scoring_dead_lettered_total', help: 'Records sent to the dead-letter topic', labelNames: ['code'], registers: [registry] }),
    batchSize: new Histogram({ name: 'ulasan_scoring_batch_size', help: 'Records per consumed batch', buckets: [1, 10, 50, 100, 250, 500, 1000, 5000], registers: [registry] }),
    inferenceSeconds: new Histogram({ name: 'ulasan_scoring_inference_seconds', help: 'Model inference time per batch', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] }),
    batchSeconds: new Histogram({ name: 'ulasan_scoring_batch_seconds', help: 'Consume-to-commit time per batch', buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10], registers: [registry] }),
    lagSeconds: new Histogram({
      name: 'ulasan_scoring_event_to_scored_seconds',
      help: 'Review created_at (event time) to scored',
      buckets: [0.1, 0.5, 1, 5, 30, 60, 300, 3600, 86400],
      registers: [registry],
    }),
    consumerLag: new Gauge({ name: 'ulasan_scoring_consumer_lag', help: 'High watermark minus next offset, per partition', labelNames: ['partition'], registers: [registry] }),
    modelInfo: new Gauge({ name: 'ulasan_scoring_model_info', help: 'Model versions in use (1 = active)', labelNames: ['role', 'model_name', 'model_version'], registers: [registry] }),
    reloads: new Counter({ name: 'ulasan_scoring_model_reloads_total', help: 'Model hot reloads', labelNames: ['role'], registers: [registry] }),
  };
}
export type ScoringMetrics = ReturnType<typeof scoringMetrics>;
