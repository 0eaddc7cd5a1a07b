// Drift per app on the real stack (scoring -> scored topic -> drift processor -> ClickHouse), with
// references captured from each app's own traffic. Steady traffic of app A for 210 one-minute
// windows (10 of reference, then 200 tested); app B joins at minute 100; at minute 210 app B's
// reviews turn into a burst of one-star complaints. Expected: A's tested windows are drifted at no
// more than 2 x alpha; B is flagged in its first shifted window with a readable reason; A is not.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../models/trainer/fasttext.js';
import { produceReviews } from '../../processors/producer/main.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { runProcessors, type Running } from '../../app/runner.js';
import type { Review } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { DRIFT_SEGMENTS_SQL, driftSegmentView, type DriftSegmentRow } from '../../gateway/queries.js';
import { DATA } from '../unit/models/fixtures.js';
import { freshDir, stackAddresses, uniquePrefix, waitFor } from '../helpers.js';

const MIN = 60_000;
const PER_MINUTE = 40;
const ALPHA = 0.05;
const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
let running: Running;

beforeAll(async () => {
  const modelDir = await ensureDefaultModel();
  running = await runProcessors(
    ['scoring', 'drift'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('segments'),
      ULASAN_TOPIC_PREFIX: prefix,
      SCORING_GROUP: `${prefix}scoring`,
      SCORING_MODEL_DIR: modelDir,
      SCORING_INSTANCE_ID: `segments-${process.pid}`,
      DRIFT_GROUP: `${prefix}drift`,
      DRIFT_WINDOWS: '1m',
      // The whole stream is in the past and arrives in a burst: a grace of 5 minutes of event time and
      // 15 s before a quiet partition stops holding the watermark keep every window whole.
      DRIFT_GRACE: '5m',
      DRIFT_REFERENCE: 'window',
      DRIFT_REFERENCE_PERIOD: '10m',
      DRIFT_ALPHA: String(ALPHA),
      DRIFT_IDLE_FLUSH_MS: '15000',
      LOG_LEVEL: 'error',
    },
    { opsServer: false },
  );
}, 240_000);

afterAll(async () => {
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
});

type SegmentRow = {
  segment: string;
  start: string;
  role: string;
  tested: boolean | number;
  drifted: boolean | number;
  drifted_features: string[];
  reason: string;
};

describe('drift per app against references captured from its own traffic', () => {
  it(
    'keeps a steady app quiet, flags the app that changed within one window, and only that app',
    { timeout: 300_000 },
    async () => {
      const { ctx } = running;
      const rows = readLabelledFile(path.join(DATA, 'app-reviews/train.csv')).filter((r) => r.text.trim() !== '');
      const poolA = rows.filter((r) => r.index % 2 === 0);
      const poolB = rows.filter((r) => r.index % 2 === 1);
      const complaints = rows.filter((r) => r.rating === 1);
      const t0 = Math.floor(Date.now() / MIN) * MIN - 300 * MIN;
      const r = rng(2026);
      const reviews: Review[] = [];
      const emit = (app: string, pool: typeof rows, minute: number): void => {
        for (let i = 0; i < PER_MINUTE; i++) {
          const row = pool[Math.floor(r() * pool.length)]!;
          const at = t0 + minute * MIN + Math.floor((i * MIN) / PER_MINUTE);
          reviews.push({
            review_id: `${prefix}${app}-${minute}-${i}`,
            app_id: app,
            source: 'google_play',
            text: row.text,
            rating: row.rating,
            lang: 'id',
            author_hash: null,
            created_at: at,
            ingested_at: Date.now(),
          });
        }
      };
      for (let m = 0; m < 215; m++) {
        emit('app.a', poolA, m);
        if (m >= 100) emit('app.b', m >= 210 ? complaints : poolB, m);
      }
      // A little later traffic moves the watermark past the last windows' grace.
      for (const app of ['app.a', 'app.b']) emit(app, poolA, 221);
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, reviews);

      const db = ctx.store.database;
      const windows = async (): Promise<SegmentRow[]> =>
        ctx.store.query<SegmentRow>(
          `SELECT segment, toString(toUnixTimestamp64Milli(window_start)) AS start, rows, role, tested, drifted, drifted_features, reason
         FROM ${db}.drift_segment_windows FINAL WHERE window_size = '1m' ORDER BY segment, window_start`,
        );
      const at = (w: SegmentRow): number => (Number(w.start) - t0) / MIN;
      await waitFor(
        async () => (await windows()).some((w) => w.segment === 'app.b' && at(w) === 214),
        240_000,
        'the last window of app B',
      );
      const all = await windows();

      const testedA = all.filter((w) => w.segment === 'app.a' && w.role === 'test' && w.tested && at(w) < 210);
      const rateA = testedA.filter((w) => w.drifted).length / testedA.length;
      console.log(
        `app A: ${testedA.length} tested windows, drifted ${testedA.filter((w) => w.drifted).length} = ${rateA.toFixed(3)} (2 x alpha = ${2 * ALPHA})`,
      );
      expect(testedA.length).toBeGreaterThanOrEqual(200);
      expect(rateA).toBeLessThanOrEqual(2 * ALPHA);
      // App B's arrival does not touch app A's segment: app_id is constant within a segment.
      expect(all.filter((w) => w.segment === 'app.a').every((w) => !w.drifted_features.includes('app_id'))).toBe(true);

      const b210 = all.find((w) => w.segment === 'app.b' && at(w) === 210)!;
      const a210 = all.find((w) => w.segment === 'app.a' && at(w) === 210)!;
      console.log(
        `minute 210: app B ${b210.drifted ? 'drifted' : 'clean'} (${b210.reason}); app A ${a210.drifted ? 'drifted' : 'clean'}`,
      );
      expect(Boolean(b210.drifted)).toBe(true);
      expect(b210.reason).toMatch(/negative share \d+ % -> \d+ %/);
      expect(Boolean(a210.drifted)).toBe(false);
      // The same view the gateway serves at GET /drift/segments.
      const view = (await ctx.store.query<DriftSegmentRow>(DRIFT_SEGMENTS_SQL(db))).map(driftSegmentView);
      expect(view.find((v) => v.segment === 'app.b')).toMatchObject({
        reference: { origin: 'window', rows: 10 * PER_MINUTE },
      });
      const testedB = all.filter((w) => w.segment === 'app.b' && w.role === 'test' && w.tested && at(w) < 210);
      expect(testedB.length).toBeGreaterThanOrEqual(95);
      expect(testedB.filter((w) => w.drifted).length / testedB.length).toBeLessThanOrEqual(2 * ALPHA);
    },
  );
});
