// The whole loop, unattended, on the real stack: reviews switch from SmSA-like text to app-review
// text -> the drift processor flags the first full window after the switch -> the trigger emits a
// RetrainRequest (reason: drift) -> the launcher trains, gates and promotes -> the scorer hot-reloads.
// A restarted trigger does not fire again (its state is in the compacted trigger-state topic).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceReviews } from '../../processors/producer/main.js';
import { rowToReview } from '../../processors/producer/handler.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { retrainTrigger } from '../../processors/retrain-trigger/main.js';
import { runProcessors, type Running } from '../../app/runner.js';
import type { ModelHolder } from '../../models/serving/model-holder.js';
import type { ProcessorHandle } from '../../processors/kit/context.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { DATA } from '../unit/models/fixtures.js';
import { freshDir, stackAddresses, uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
const HOUR = 3_600_000;
let running: Running;

beforeAll(async () => {
  const modelDir = await ensureDefaultModel();
  running = await runProcessors(
    ['scoring', 'drift', 'feedback-store', 'retrain-trigger', 'training-launcher', 'registry-mirror'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('loop'),
      ULASAN_TOPIC_PREFIX: prefix,
      ULASAN_ARTIFACT_DIR: freshDir('loop-artifacts'),
      SCORING_GROUP: `${prefix}scoring`,
      SCORING_MODEL_DIR: modelDir,
      SCORING_INSTANCE_ID: `loop-${process.pid}`,
      DRIFT_GROUP: `${prefix}drift`,
      DRIFT_WINDOWS: '1h',
      // This loop is about the mechanics (drift -> trigger -> train -> promote): one fixed reference.
      DRIFT_REFERENCE: 'dataset',
      DRIFT_GRACE: '1m',
      DRIFT_MODEL_DIR: modelDir,
      FEEDBACK_STORE_GROUP: `${prefix}feedback`,
      REGISTRY_MIRROR_GROUP: `${prefix}mirror`,
      LAUNCHER_GROUP: `${prefix}launcher`,
      LAUNCHER_WORK_DIR: freshDir('loop-runs'),
      LAUNCHER_JOB_ARGS: '--epochs 4',
      TRIGGER_INTERVAL_MS: '1000',
      TRIGGER_DRIFT_WINDOW: '1h',
      TRIGGER_DRIFT_CONSECUTIVE: '1',
      // The deployment itself counts as the last training: without this, the 7-day minimum would
      // (rightly) hold every trigger for a week.
      TRIGGER_MIN_DAYS: '0',
      LOG_LEVEL: 'warn',
    },
    { opsServer: false },
  );
}, 240_000);

afterAll(async () => {
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
});

describe('monitoring loop', () => {
  it(
    'detects the switch, requests a retrain, trains, promotes and hot-reloads without help; a restart does not re-fire',
    { timeout: 300_000 },
    async () => {
      const { ctx } = running;
      const db = ctx.store.database;
      const models = running.handles.scoring!.models as ModelHolder;
      const h0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
      // Hour 0 is drawn from the reference distribution (SmSA valid, the model's held-out set).
      const smsa = readLabelledFile(path.join(DATA, 'smsa/valid_preprocess.tsv')).slice(0, 400);
      const app = readLabelledFile(path.join(DATA, 'app-reviews/train.csv'))
        .filter((r) => r.text.trim() !== '')
        .slice(0, 400);
      const mk = (rows: typeof smsa, source: string, start: number) =>
        rows.map((r) => ({
          ...rowToReview(r, { appId: 'id.co.blibli', source, startMs: start, spacingMs: 5000, now: Date.now() }),
          review_id: `${prefix}${source}-${r.index}`,
        }));
      // Hour 0: SmSA-like text; hour 1: app reviews; hour 2: SmSA text again but with another label
      // mix (negative reviews only); a few in hour 3 move the watermark past hour 2.
      const negatives = readLabelledFile(path.join(DATA, 'smsa/valid_preprocess.tsv'))
        .filter((r) => r.label === 'negative')
        .slice(0, 300);
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, mk(smsa, 'smsa', h0));
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, mk(app, 'play', h0 + HOUR));
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, mk(negatives, 'neg', h0 + 2 * HOUR));
      await produceReviews(
        ctx.kafka,
        ctx.serde,
        ctx.topics.reviews,
        mk(app.slice(0, 20), 'tick', h0 + 3 * HOUR + 2 * 60_000),
      );

      const windows = await waitFor(
        async () => {
          const w = await ctx.store.query<{ start: string; drifted: boolean; rows: string }>(
            `SELECT toUnixTimestamp64Milli(window_start) AS start, drifted, rows FROM ${db}.drift_windows FINAL WHERE window_size = '1h' ORDER BY window_start`,
          );
          return w.length >= 3 ? w : undefined;
        },
        120_000,
        'three closed drift windows',
      );
      console.log('drift windows:', JSON.stringify(windows));
      const afterSwitch = windows.find((w) => Number(w.start) === h0 + HOUR)!;
      expect(Number(afterSwitch.rows)).toBe(400);
      expect(afterSwitch.drifted).toBe(true);
      // The label-mix shift is caught on the predicted label in its first window.
      const labelShift = await ctx.store.query<{ drifted: boolean }>(
        `SELECT drifted FROM ${db}.drift_metrics FINAL WHERE window_size = '1h' AND toUnixTimestamp64Milli(window_start) = {s:Int64} AND feature = 'predicted_label' AND test = 'chi2'`,
        { s: h0 + 2 * HOUR },
      );
      expect(labelShift.map((r) => r.drifted)).toEqual([true]);

      // The trigger fires once with the drift reason; the launcher trains, gates, promotes.
      const fired = await waitFor(
        async () =>
          (
            await ctx.store.query<{ reasons: string[] }>(
              `SELECT reasons FROM ${db}.retrain_events WHERE decision = 'fired'`,
            )
          )[0],
        60_000,
        'a fired retrain event',
      );
      expect(fired.reasons).toContain('drift');
      await waitFor(
        async () => models.snapshot().production.version === '1',
        180_000,
        'scorer hot-reloaded to the retrained version 1',
      );

      // The performance monitor wrote its window (label-free estimate at least).
      const perf = await ctx.store.query<{ estimated_accuracy: number | null }>(
        `SELECT estimated_accuracy FROM ${db}.performance_windows FINAL`,
      );
      expect(perf.length).toBeGreaterThan(0);

      // Restart the trigger: state comes back from the topic, the cooldown holds, nothing fires again.
      const suppressed = async (): Promise<number> =>
        Number(
          (
            await ctx.store.query<{ n: string }>(
              `SELECT count() AS n FROM ${db}.retrain_events WHERE decision = 'suppressed'`,
            )
          )[0]!.n,
        );
      const old = running.handles['retrain-trigger'] as ProcessorHandle;
      await old.stop();
      const before = await suppressed();
      const again = await retrainTrigger.start(ctx);
      try {
        // The restarted trigger's first decisions are logged anew: wait for one, then count.
        await waitFor(async () => (await suppressed()) > before, 30_000, 'a suppressed decision after restart');
        const firedCount = await ctx.store.query<{ n: string }>(
          `SELECT count() AS n FROM ${db}.retrain_events WHERE decision = 'fired'`,
        );
        expect(Number(firedCount[0]!.n)).toBe(1);
      } finally {
        await again.stop();
        running.handles['retrain-trigger'] = again;
      }
    },
  );
});
