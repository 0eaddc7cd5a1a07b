// Alerts processor: the scored topic in event time (created_at) into per-app buckets; each closed
// bucket judges every app against its own trailing baseline and every new version against the
// previous one (detector.ts), and each alert change goes to ClickHouse `alerts`, the alerts topic
// and the notifier (Slack-compatible and signed webhooks, off the consuming path).
//
// State: none is committed. The group never commits offsets, so a start reads the retained scored
// topic from its beginning and re-derives the same buckets and alerts (the detector is a function
// of the history); the alerts topic, read to its end first, says which changes were already written
// and sent, so a restart or a replay writes and notifies nothing twice. Wiring only.
import type { Context, Processor } from '../kit/context.js';
import { consume, DeadLetters, Health, outageWaiter } from '../kit/kit.js';
import { parseDuration } from '../../platform/time.js';
import { detectorConfig, parseAlertsConfig, type AlertsConfig } from './config.js';
import { AlertDetector } from './detector.js';
import { alertsMetrics, type AlertsMetrics } from './metrics.js';
import { Notifier, signedChannel, slackChannel, type Channel } from './notify.js';
import { reviewTexts } from './queries.js';
import { DEFAULT_TERMS, patternMatcher } from './reason.js';
import { advance, batchHandler, restoreKnown, serializer, type AlertsDeps } from './stream.js';
import { Watermark } from './watermark.js';
import type { Schedule } from '../../platform/scheduler.js';

const NAME = 'alerts';

function notifier(cfg: AlertsConfig, m: AlertsMetrics, schedule: Schedule): Notifier {
  const channels: Channel[] = [];
  if (cfg.ALERTS_SLACK_WEBHOOK_URL) channels.push(slackChannel(cfg.ALERTS_SLACK_WEBHOOK_URL));
  if (cfg.ALERTS_WEBHOOK_URL) channels.push(signedChannel(cfg.ALERTS_WEBHOOK_URL, cfg.ALERTS_WEBHOOK_SECRET!));
  const n: Notifier = new Notifier({
    channels,
    schedule,
    groupWaitMs: cfg.ALERTS_GROUP_WAIT_MS,
    repeatIntervalMs: parseDuration(cfg.ALERTS_REPEAT_INTERVAL),
    maxQueue: cfg.ALERTS_OUTBOX_MAX,
    maxAgeMs: parseDuration(cfg.ALERTS_NOTIFY_MAX_AGE),
    timeoutMs: cfg.ALERTS_NOTIFY_TIMEOUT_MS,
    backoffMs: { min: cfg.ALERTS_NOTIFY_BACKOFF_MS, max: 5 * 60_000 },
    onSent: (channel, kind) => {
      m.notifications.inc({ channel, kind });
      m.outbox.set({ channel }, n.queued()[channel] ?? 0);
    },
    onFailure: (channel) => m.notifyFailures.inc({ channel }),
    onDrop: (channel, why) => m.notifyDropped.inc({ channel, why }),
  });
  return n;
}

async function alertsDeps(ctx: Context, cfg: AlertsConfig, health: Health): Promise<AlertsDeps> {
  const log = ctx.logger.child({ processor: NAME });
  const m = alertsMetrics(ctx.metrics);
  const producer = ctx.kafka.producer();
  await producer.connect();
  const base = {
    ctx,
    detector: new AlertDetector(detectorConfig(cfg)),
    watermark: new Watermark(parseDuration(cfg.ALERTS_LATENESS), cfg.ALERTS_IDLE_MS),
    producer,
    deadLetters: new DeadLetters(ctx, NAME, producer),
    notifier: notifier(cfg, m, ctx.scheduler.schedule),
    // Plug-in point for the complaint taxonomy's tagger (models/topics/tagger.ts): matcherFromTagger.
    matcher: patternMatcher(DEFAULT_TERMS),
    texts: (ids: readonly string[]) => reviewTexts(ctx.store, ids),
    m,
    log,
    wait: outageWaiter(ctx, NAME, health, log),
  };
  const known = await restoreKnown(base);
  log.info({ known: known.size }, 'alerts already on the alerts topic');
  return { ...base, known };
}

/** Partitions with nothing in them are read to their end from the start: they never hold the watermark. */
async function markEmpty(ctx: Context, w: Watermark, partitions: number[]): Promise<void> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    for (const p of await admin.fetchTopicOffsets(ctx.topics.scored))
      if (partitions.includes(p.partition) && Number(p.high) <= Number(p.low)) w.caughtUp(p.partition, true);
  } finally {
    await admin.disconnect();
  }
}

export const alerts: Processor = {
  name: NAME,
  topology: {
    inputs: ['scored'],
    outputs: ['alerts', 'deadLetter'],
    reads: ['alerts'],
    tables: ['alerts'],
    commit: 'none',
    punctuators: [
      { name: 'advance the watermark past quiet partitions', every: 'ALERTS_IDLE_MS / 4', kind: 'wall-clock' },
      { name: 'notification outbox', every: 'min(1 s, ALERTS_NOTIFY_BACKOFF_MS)', kind: 'wall-clock' },
    ],
  },
  async start(ctx: Context) {
    const cfg = parseAlertsConfig(ctx.env);
    const health = new Health(ctx.config.ULASAN_STALL_MS);
    const d = await alertsDeps(ctx, cfg, health);
    const serial = serializer();
    const consumer = await consume(ctx, {
      groupId: cfg.ALERTS_GROUP,
      inputs: ['scored'],
      health,
      log: d.log,
      run: { autoCommit: false, eachBatch: batchHandler(d, serial) },
      beforeRun: (c) =>
        c.on(c.events.GROUP_JOIN, (e) => {
          // Nothing is committed, so after any join the assigned partitions are read from their
          // beginning again: the state starts over with them (the alerts topic dedups the changes).
          const assigned = e.payload.memberAssignment[ctx.topics.scored] ?? [];
          d.detector = new AlertDetector(detectorConfig(cfg));
          d.watermark = new Watermark(parseDuration(cfg.ALERTS_LATENESS), cfg.ALERTS_IDLE_MS, assigned, Date.now());
          void markEmpty(ctx, d.watermark, assigned).catch((err: unknown) => d.log.warn({ err }, 'offsets unknown'));
        }),
    });
    const idle = ctx.scheduler.schedule(
      Math.max(250, Math.floor(cfg.ALERTS_IDLE_MS / 4)),
      'wall-clock',
      () => serial(() => advance(d)),
      { name: 'advance the watermark past quiet partitions', health },
    );
    return {
      healthy: () => health.healthy(),
      detector: () => d.detector,
      notifier: d.notifier,
      async stop() {
        await idle.cancel();
        await consumer.disconnect();
        d.notifier.stop();
        await d.producer.disconnect();
      },
    };
  },
};
