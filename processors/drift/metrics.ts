// Drift processor metrics.
import type { Registry } from 'prom-client';
import { counter, gauge } from '../../platform/metrics.js';

export function driftMetrics(registry: Registry) {
  return {
    late: counter(registry, {
      name: 'ulasan_drift_late_records_total',
      help: 'Records not windowed: after their window closed (late) or dated beyond the allowed clock skew (future)',
      labelNames: ['window', 'kind'],
    }),
    duplicates: counter(registry, {
      name: 'ulasan_drift_duplicate_records_total',
      help: 'Redelivered records (same partition and offset) not counted twice',
      labelNames: ['window'],
    }),
    windows: counter(registry, {
      name: 'ulasan_drift_windows_total',
      help: 'Closed windows by verdict',
      labelNames: ['window', 'verdict'],
    }),
    records: counter(registry, { name: 'ulasan_drift_records_total', help: 'Scored records monitored' }),
    open: gauge(registry, { name: 'ulasan_drift_open_windows', help: 'Windows still open', labelNames: ['window'] }),
  };
}

export type DriftMetrics = ReturnType<typeof driftMetrics>;
