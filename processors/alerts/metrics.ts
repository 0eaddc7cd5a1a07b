// Alerts processor metrics.
import type { Registry } from 'prom-client';
import { counter, gauge } from '../../platform/metrics.js';

export function alertsMetrics(registry: Registry) {
  return {
    records: counter(registry, { name: 'ulasan_alerts_records_total', help: 'Scored reviews counted by the detector' }),
    skipped: counter(registry, {
      name: 'ulasan_alerts_skipped_records_total',
      help: 'Scored reviews not counted: late (their bucket was judged), shadow predictions, untracked apps',
      labelNames: ['why'],
    }),
    changes: counter(registry, {
      name: 'ulasan_alerts_changes_total',
      help: 'Alert state changes written (opened, resolved), by kind',
      labelNames: ['kind', 'status'],
    }),
    open: gauge(registry, { name: 'ulasan_alerts_open', help: 'Alerts open now, by kind', labelNames: ['kind'] }),
    notifications: counter(registry, {
      name: 'ulasan_alerts_notifications_total',
      help: 'Notification messages delivered, by channel and kind (firing, resolved, repeat)',
      labelNames: ['channel', 'kind'],
    }),
    notifyFailures: counter(registry, {
      name: 'ulasan_alerts_notification_failures_total',
      help: 'Failed delivery attempts (timeouts, refused connections, non-2xx answers), retried with backoff',
      labelNames: ['channel'],
    }),
    notifyDropped: counter(registry, {
      name: 'ulasan_alerts_notifications_dropped_total',
      help:
        'Notification messages given up: expired (undelivered past ALERTS_NOTIFY_MAX_AGE) ' +
        'or overflow (outbox full)',
      labelNames: ['channel', 'why'],
    }),
    outbox: gauge(registry, {
      name: 'ulasan_alerts_outbox_messages',
      help: 'Notification messages waiting, by channel',
      labelNames: ['channel'],
    }),
    watermark: gauge(registry, {
      name: 'ulasan_alerts_watermark_seconds',
      help: 'Event-time watermark of the detector (unix seconds)',
    }),
  };
}

export type AlertsMetrics = ReturnType<typeof alertsMetrics>;
