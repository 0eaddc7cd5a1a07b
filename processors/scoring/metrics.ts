import { counter, gauge, histogram, type Registry } from '../../platform/metrics.js';

/** Counts and gauges: what flowed through, what is in use. */
function scoringCounts(registry: Registry) {
  return {
    consumed: counter(registry, { name: 'ulasan_scoring_consumed_total', help: 'Review records consumed' }),
    scored: counter(registry, {
      name: 'ulasan_scoring_scored_total',
      help: 'Reviews scored and stored',
      labelNames: ['model_version'],
    }),
    shadowScored: counter(registry, {
      name: 'ulasan_scoring_shadow_scored_total',
      help: 'Reviews scored by the Staging model',
      labelNames: ['model_version'],
    }),
    deadLettered: counter(registry, {
      name: 'ulasan_scoring_dead_lettered_total',
      help: 'Records sent to the dead-letter topic',
      labelNames: ['code'],
    }),
  };
}

/** Where a batch's time goes and how far behind the stream is. */
function scoringTimings(registry: Registry) {
  return {
    batchSize: histogram(registry, {
      name: 'ulasan_scoring_batch_size',
      help: 'Records per consumed batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 5000],
    }),
    inferenceSeconds: histogram(registry, {
      name: 'ulasan_scoring_inference_seconds',
      help: 'Model inference time per batch',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    }),
    // Where a batch's time goes; clickhouse and kafka_send overlap (they run at the same time).
    stageSeconds: histogram(registry, {
      name: 'ulasan_scoring_stage_seconds',
      help:
        'Time per batch in each stage: ' +
        'triage, features, topics, inference, rows, encode, clickhouse, kafka_send, commit',
      labelNames: ['stage'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    }),
    // The CPU-time twin: process CPU (user + system, every thread: onnxruntime, chdb, libuv) over the
    // same window. Sequential stages own their window; clickhouse and kafka_send overlap, so each of
    // their windows holds the other's CPU too, and `write` is the one window around both.
    stageCpuSeconds: histogram(registry, {
      name: 'ulasan_scoring_stage_cpu_seconds',
      help: 'Process CPU time per batch in each stage (same windows as ulasan_scoring_stage_seconds, plus write)',
      labelNames: ['stage'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    }),
    batchSeconds: histogram(registry, {
      name: 'ulasan_scoring_batch_seconds',
      help: 'Consume-to-commit time per batch',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    }),
    lagSeconds: histogram(registry, {
      name: 'ulasan_scoring_event_to_scored_seconds',
      help: 'Review created_at (event time) to scored',
      buckets: [0.1, 0.5, 1, 5, 30, 60, 300, 3600, 86400],
    }),
    consumerLag: gauge(registry, {
      name: 'ulasan_scoring_consumer_lag',
      help: 'High watermark minus next offset, per partition',
      labelNames: ['partition'],
    }),
    modelInfo: gauge(registry, {
      name: 'ulasan_scoring_model_info',
      help: 'Model versions in use (1 = active)',
      labelNames: ['role', 'model_name', 'model_version'],
    }),
    reloads: counter(registry, {
      name: 'ulasan_scoring_model_reloads_total',
      help: 'Model hot reloads',
      labelNames: ['role'],
    }),
  };
}

export function scoringMetrics(registry: Registry) {
  return { ...scoringCounts(registry), ...scoringTimings(registry) };
}
export type ScoringMetrics = ReturnType<typeof scoringMetrics>;

/** Starts a stage's wall and CPU timers; the returned function records both. */
export function stageTimer(m: ScoringMetrics, stage: string, wall = true): () => void {
  const endWall = wall ? m.stageSeconds.startTimer({ stage }) : undefined;
  const cpu0 = process.cpuUsage();
  return () => {
    endWall?.();
    const cpu = process.cpuUsage(cpu0);
    m.stageCpuSeconds.observe({ stage }, (cpu.user + cpu.system) / 1e6);
  };
}
