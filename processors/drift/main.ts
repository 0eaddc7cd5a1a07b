// Drift processor: the scored topic (Production predictions, with features) in event-time tumbling
// windows of each configured size; each closed window is compared with the reference profile (the
// training data of the model, scored by it) and the results go to ClickHouse (drift_metrics,
// drift_windows) and the drift topic. Offsets are committed only up to the oldest record still in
// an open window, so after a restart the open windows are rebuilt from Kafka.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { DriftEvent, ScoredReview } from '../../schemas/types.generated.js';
import { InferenceEngine } from '../../models/core/engine.js';
import { computeFeatures } from '../../models/features/features.js';
import { readLabelledFile } from '../shared/datasets.js';
import { parseConfig, PROJECT_ROOT, z } from '../shared/config.js';
import type { Context, Processor } from '../shared/context.js';
import type { EachBatchPayload } from '../shared/kafka.js';
import { counter, gauge } from '../shared/metrics.js';
import { toDateTime64 } from '../review-store/handler.js';
import { buildReference, detect, type MonitoredRecord, type ReferenceProfile } from './detector.js';
import { monitoredRecord } from './records.js';
import { TumblingWindows } from './windows.js';

const NAME = 'drift';
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(s: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(s.trim());
  if (!m) throw new Error(`bad duration "${s}" (use e.g. 30s, 15m, 1h, 1d)`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

const driftShape = {
  DRIFT_GROUP: z.string().min(1).default('ulasan-drift'),
  DRIFT_WINDOWS: z.string().default('1h,1d').refine((s) => s.split(',').every((x) => /^\d+(s|m|h|d)$/.test(x.trim())), 'must list durations like 1h,1d'),
  DRIFT_GRACE: z.string().default('5m').refine((s) => /^\d+(s|m|h|d)$/.test(s), 'must be a duration like 5m'),
  DRIFT_IDLE_FLUSH_MS: z.coerce.number().int().positive().default(60_000),
  DRIFT_ALPHA: z.coerce.number().gt(0).lt(1).default(0.05),
  DRIFT_METHOD: z.enum(['pvalue', 'evidently']).default('pvalue'),
  DRIFT_MIN_WINDOW_ROWS: z.coerce.number().int().min(1).default(30),
  /**
   * Reference data, relative to ULASAN_DATA_DIR. It must be data the model did not train on: scored
   * on its own training set, a model is over-confident, and the confidence feature would drift by
   * construction. SmSA valid is the default model's held-out set.
   */
  DRIFT_REFERENCE_DATASET: z.string().default('smsa/valid_preprocess.tsv'),
  DRIFT_MODEL_DIR: z.string().default(path.join(PROJECT_ROOT, 'models', 'packages', 'ulasan-compact')),
};

/** The reference profile: the reference data set scored by the model, as the detector sees it. */
export async function referenceFor(modelDir: string, datasetFile: string): Promise<{ profile: ReferenceProfile; modelVersion: string }> {
  const engine = await InferenceEngine.load(modelDir, { maxBatch: 256 });
  const rows = readLabelledFile(datasetFile).filter((r) => r.text.trim() !== '');
  const preds = await engine.predict(rows.map((r) => r.text));
  await engine.close();
  const records = rows.map((r, i) => monitoredRecord({ features: computeFeatures(r.text), confidence: preds[i]!.confidence, label: preds[i]!.sentiment ?? preds[i]!.label, rating: r.rating }));
  return { profile: buildReference(records), modelVersion: engine.version };
}

export const drift: Processor = {
  name: NAME,
  async start(ctx: Context) {
    const cfg = parseConfig(driftShape, ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    const lateTotal = counter(ctx.metrics, { name: 'ulasan_drift_late_records_total', help: 'Records that arrived after their window closed', labelNames: ['window'] });
    const windowsTotal = counter(ctx.metrics, { name: 'ulasan_drift_windows_total', help: 'Closed windows by verdict', labelNames: ['window', 'verdict'] });
    const recordsTotal = counter(ctx.metrics, { name: 'ulasan_drift_records_total', help: 'Scored records monitored' });
    const openGauge = gauge(ctx.metrics, { name: 'ulasan_drift_open_windows', help: 'Windows still open', labelNames: ['window'] });
    const ref = await referenceFor(cfg.DRIFT_MODEL_DIR, path.resolve(ctx.config.ULASAN_DATA_DIR, cfg.DRIFT_REFERENCE_DATASET));
    log.info({ rows: ref.profile.rows, model: ref.modelVersion }, 'reference profile ready');

    const sizes = cfg.DRIFT_WINDOWS.split(',').map((s) => s.trim());
    const grace = parseDuration(cfg.DRIFT_GRACE);
    const sets = sizes.map((label) => ({ label, w: new TumblingWindows<MonitoredRecord & { version: string }>(parseDuration(label), grace, cfg.DRIFT_IDLE_FLUSH_MS) }));
    const producer = ctx.kafka.producer();
    await producer.connect();

    const closeWindows = async (label: string, closed: { start: number; end: number; items: (MonitoredRecord & { version: string })[] }[]): Promise<void> => {
      for (const win of closed) {
        const tested = win.items.length >= cfg.DRIFT_MIN_WINDOW_ROWS;
        const d = tested ? detect(ref.profile, win.items, { alpha: cfg.DRIFT_ALPHA, method: cfg.DRIFT_METHOD, distanceThreshold: 0.1, minReferenceCategories: 2 }) : { results: [], drifted: false };
        const now = Date.now();
        const version = win.items.at(-1)?.version ?? ref.modelVersion;
        const severity = d.results.length ? d.results.filter((r) => r.drifted).length / d.results.length : 0;
        const mean = (f: string): number => win.items.reduce((s, x) => s + (x.numeric[f] ?? 0), 0) / Math.max(1, win.items.length);
        const labelMix: Record<string, number> = {};
        for (const x of win.items) labelMix[x.categorical.predicted_label!] = (labelMix[x.categorical.predicted_label!] ?? 0) + 1;
        const profile = { rows: win.items.length, means: Object.fromEntries(['char_count', 'word_count', 'confidence', 'emoji_count'].map((f) => [f, mean(f)])), label_mix: labelMix };
        const rows = d.results.flatMap((r) => [
          { event_id: randomUUID(), window_start: toDateTime64(win.start), window_end: toDateTime64(win.end), window_size: label, feature: r.feature, test: r.test, statistic: r.statistic, p_value: r.pValue, threshold: r.threshold, drifted: r.drifted, sample_size: win.items.length, model_version: version, emitted_at: toDateTime64(now) },
          { event_id: randomUUID(), window_start: toDateTime64(win.start), window_end: toDateTime64(win.end), window_size: label, feature: r.feature, test: 'psi', statistic: r.psi, p_value: null, threshold: 0.2, drifted: r.psi >= 0.2, sample_size: win.items.length, model_version: version, emitted_at: toDateTime64(now) },
        ]);
        await ctx.store.insert('drift_metrics', rows);
        await ctx.store.insert('drift_windows', [
          { window_size: label, window_start: toDateTime64(win.start), window_end: toDateTime64(win.end), rows: win.items.length, tested, drifted: d.drifted, severity, method: cfg.DRIFT_METHOD, model_version: version, profile: JSON.stringify(profile), closed_at: toDateTime64(now) },
        ]);
        const events: DriftEvent[] = d.results.map((r) => ({ event_id: randomUUID(), window_start: win.start, window_end: win.end, window_size: label, feature: r.feature, test: r.test, statistic: r.statistic, p_value: r.pValue, threshold: r.threshold, verdict: r.drifted ? 'drift' : 'no_drift', sample_size: win.items.length, model_version: version, emitted_at: now }));
        if (events.length) {
          await producer.send({ topic: ctx.topics.drift, messages: await Promise.all(events.map(async (e) => ({ key: `${label}/${win.start}/${e.feature}`, value: await ctx.serde.encode(ctx.topics.drift, e) }))) });
        }
        windowsTotal.inc({ window: label, verdict: !tested ? 'too_small' : d.drifted ? 'drift' : 'no_drift' });
        log.info({ window: label, start: new Date(win.start).toISOString(), rows: win.items.length, drifted: d.drifted, severity }, 'window closed');
      }
    };

    const consumer = ctx.kafka.consumer({ groupId: cfg.DRIFT_GROUP });
    await consumer.connect();
    await consumer.subscribe({ topic: ctx.topics.scored, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment[ctx.topics.scored] ?? [];
      for (const s of sets) s.w.setPartitions(assigned, Date.now());
    });
    const commit = async (batchTopic: string, partition: number, nextOffset: bigint): Promise<void> => {
      let offset = nextOffset;
      for (const s of sets) {
        const held = s.w.heldOffsets().get(partition);
        if (held !== undefined && held < offset) offset = held;
      }
      await consumer.commitOffsets([{ topic: batchTopic, partition, offset: offset.toString() }]);
    };
    let lastBatch: { topic: string; partition: number; next: bigint }[] = [];
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
        const late: Record<string, unknown>[] = [];
        for (const m of batch.messages) {
          try {
            const s = (await ctx.serde.decode<ScoredReview>(m.value, ctx.topics.scored)).value;
            if (!s.shadow) {
              recordsTotal.inc();
              const rec = { ...monitoredRecord({ features: s.features ?? {}, confidence: Math.max(s.prob_negative, s.prob_neutral, s.prob_positive), label: s.label, appId: s.app_id, rating: s.rating }), version: s.model_version };
              for (const set of sets) {
                if (set.w.add(s.created_at, rec, { partition: batch.partition, offset: m.offset }, Date.now()) === 'late') {
                  lateTotal.inc({ window: set.label });
                  late.push({ window_size: set.label, review_id: s.review_id, event_time: toDateTime64(s.created_at), seen_at: toDateTime64(Date.now()) });
                }
              }
            }
          } catch (err) {
            log.warn({ err, offset: m.offset }, 'skipping unreadable scored record');
          }
          resolveOffset(m.offset);
        }
        if (late.length) await ctx.store.insert('late_records', late);
        for (const s of sets) {
          await closeWindows(s.label, s.w.closeReady());
          openGauge.set({ window: s.label }, s.w.openWindows());
        }
        const next = BigInt(batch.messages.at(-1)!.offset) + 1n;
        lastBatch = [...lastBatch.filter((b) => b.partition !== batch.partition), { topic: batch.topic, partition: batch.partition, next }];
        await commit(batch.topic, batch.partition, next);
        await heartbeat();
      },
    });

    // Wall-clock flush for quiet streams, then re-commit what the closed windows released.
    let flushing = false;
    const timer = setInterval(() => {
      if (flushing) return;
      flushing = true;
      void (async () => {
        for (const s of sets) await closeWindows(s.label, s.w.idle(Date.now(), cfg.DRIFT_IDLE_FLUSH_MS));
        for (const b of lastBatch) await commit(b.topic, b.partition, b.next);
      })()
        .catch((err: unknown) => log.error({ err }, 'idle flush failed'))
        .finally(() => (flushing = false));
    }, Math.max(250, Math.floor(cfg.DRIFT_IDLE_FLUSH_MS / 4)));
    return {
      healthy: () => true,
      reference: ref,
      async stop() {
        clearInterval(timer);
        await consumer.disconnect();
        await producer.disconnect();
      },
    };
  },
};
