// DRIFT_REFERENCE=model on the real stack (scoring -> scored topic -> drift -> ClickHouse): every
// segment is judged against the profile of held-out data that training stored in the scoring
// model's package, so no data dir and no capture period are needed, and the reference moves with a
// promotion. Steady traffic drawn from SmSA valid (the package's `smsa-valid` source) for 67
// one-minute windows on the start-up package, then the same package registered and promoted (the
// scorer hot-reloads it as registry version N) for 50 more, then 3 minutes of negative-only reviews.
// Expected: steady windows drifted at no more than 2 x alpha under both versions, each window's
// reference names the version that scored it, and the negative burst is flagged with a reason.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../models/trainer/fasttext.js';
import { produceReviews } from '../../processors/producer/main.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { unregisteredVersion } from '../../models/serving/model-holder.js';
import { followedRegistry } from '../../platform/registry/follower.js';
import { runProcessors, type Running } from '../../app/runner.js';
import type { Review } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { DRIFT_SEGMENTS_SQL, driftSegmentView, type DriftSegmentRow } from '../../gateway/queries.js';
import { DATA } from '../unit/models/fixtures.js';
import { freshDir, stackAddresses, stopAndDeleteTopics, uniquePrefix, waitFor } from '../helpers.js';

const MIN = 60_000;
const PER_MINUTE = 40;
const ALPHA = 0.05;
const APP = 'app.smsa';
const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
let running: Running;
let modelDir: string;

beforeAll(async () => {
  modelDir = await ensureDefaultModel();
  running = await runProcessors(
    ['scoring', 'drift'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('model-ref'),
      ULASAN_ARTIFACT_DIR: freshDir('model-ref-artifacts'),
      ULASAN_TOPIC_PREFIX: prefix,
      SCORING_GROUP: `${prefix}scoring`,
      SCORING_MODEL_DIR: modelDir,
      SCORING_INSTANCE_ID: `model-ref-${process.pid}`,
      DRIFT_GROUP: `${prefix}drift`,
      DRIFT_WINDOWS: '1m',
      DRIFT_GRACE: '5m',
      DRIFT_REFERENCE: 'model',
      DRIFT_REFERENCE_SOURCES: 'smsa-valid',
      DRIFT_MODEL_DIR: modelDir,
      DRIFT_ALPHA: String(ALPHA),
      // The stream is in the past and comes in bursts with pauses longer than the idle time between
      // phases: each resume gives every partition a fresh idle time before it stops holding the watermark.
      DRIFT_IDLE_FLUSH_MS: '15000',
      LOG_LEVEL: 'error',
    },
    { opsServer: false },
  );
}, 240_000);

afterAll(() => stopAndDeleteTopics(running));

type WindowRow = {
  start: string;
  rows: number | string;
  role: string;
  tested: boolean | number;
  drifted: boolean | number;
  reason: string;
  reference_origin: string;
  reference_sources: string[];
  reference_model_version: string;
  model_version: string;
};

describe('drift against the reference stored in the model package', () => {
  it(
    'keeps traffic like the held-out data quiet under each version, flags a shift, and follows a promotion',
    {
      timeout: 420_000,
    },
    async () => {
      const { ctx } = running;
      const rows = readLabelledFile(path.join(DATA, 'smsa/valid_preprocess.tsv')).filter((r) => r.text.trim() !== '');
      const negative = rows.filter((r) => r.label === 'negative');
      const t0 = Math.floor(Date.now() / MIN) * MIN - 200 * MIN;
      const r = rng(7);
      const reviewsFor = (from: number, to: number, pool = rows, tag = 's'): Review[] => {
        const out: Review[] = [];
        for (let m = from; m < to; m++)
          for (let i = 0; i < PER_MINUTE; i++)
            out.push({
              review_id: `${prefix}${tag}-${m}-${i}`,
              app_id: APP,
              source: 'google_play',
              text: pool[Math.floor(r() * pool.length)]!.text,
              rating: null,
              lang: 'id',
              author_hash: null,
              created_at: t0 + m * MIN + Math.floor((i * MIN) / PER_MINUTE),
              ingested_at: Date.now(),
            });
        return out;
      };
      const db = ctx.store.database;
      const windows = async (): Promise<WindowRow[]> =>
        ctx.store.query<WindowRow>(
          `SELECT toString(toUnixTimestamp64Milli(window_start)) AS start, role, tested, drifted, reason, reference_origin,
           reference_sources, reference_model_version, model_version, rows
         FROM ${db}.drift_segment_windows FINAL WHERE window_size = '1m' AND segment = '${APP}' ORDER BY window_start`,
        );
      const at = (w: WindowRow): number => (Number(w.start) - t0) / MIN;

      // Phase 1: the start-up package (an unregistered pkg-<hash> version) scores minutes 0-66; the
      // watermark reaches minute 61, so windows up to minute 60 close.
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, reviewsFor(0, 67));
      await waitFor(async () => (await windows()).some((w) => at(w) === 60), 180_000, 'window 60 of phase 1');

      // Phase 2: the same package registered and promoted; the scorer swaps to registry version N.
      const { registry, follower } = await followedRegistry(ctx);
      const { event } = await registry.register({
        name: 'ulasan-compact',
        packageDir: modelDir,
        runId: null,
        reason: 'test',
        actor: 'test',
      });
      await registry.promote('ulasan-compact', event.version, 'test', 'test');
      await follower.release();
      const version = String(event.version);
      // Wait for the swap on the scorer's gauge, not with probe records: probes reach some partitions
      // while the others go quiet for DRIFT_IDLE_FLUSH_MS, and a quiet partition stops holding the
      // watermark, so the burst below would close its windows from the first partitions to deliver
      // (partial windows, too small to test). With no records in between, the burst either comes
      // before any partition is idle or after the whole stream was quiet, which gives every
      // partition a fresh idle time.
      await waitFor(
        async () => {
          const info = await ctx.metrics.getSingleMetric('ulasan_scoring_model_info')?.get();
          return info?.values.some(
            (v) => v.labels.role === 'production' && v.labels.model_version === version && v.value === 1,
          );
        },
        60_000,
        'the scorer on the promoted version',
      );
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, [
        ...reviewsFor(70, 120),
        ...reviewsFor(120, 123, negative, 'neg'),
        // Later traffic moves the watermark past the burst's grace, on every partition.
        ...reviewsFor(134, 136),
      ]);
      await waitFor(async () => (await windows()).some((w) => at(w) === 122), 180_000, 'the negative burst window');
      const all = await windows();

      const startup = unregisteredVersion(modelDir);
      const steady = (from: number, to: number) => all.filter((w) => at(w) >= from && at(w) < to && w.tested);
      // Says why, when a steady window was not tested (no reference for its version, or too few rows).
      const untested = (from: number, to: number) =>
        all.filter((w) => at(w) >= from && at(w) < to && !w.tested).map((w) => `${at(w)}:${w.role}:${w.rows}`);
      for (const [phase, range, v] of [
        ['start-up package', [0, 61], startup],
        [`registry version ${version}`, [71, 120], version],
      ] as const) {
        const ws = steady(range[0], range[1]);
        const drifted = ws.filter((w) => w.drifted).length;
        console.log(`${phase}: ${ws.length} tested windows, ${drifted} drifted (2 x alpha = ${2 * ALPHA})`);
        if (ws.length < 49) console.log(`untested (minute:role:rows): ${untested(range[0], range[1]).join(' ')}`);
        expect(ws.length).toBeGreaterThanOrEqual(49);
        expect(drifted / ws.length).toBeLessThanOrEqual(2 * ALPHA);
        for (const w of ws) {
          expect(w).toMatchObject({ role: 'test', reference_origin: 'model', reference_sources: ['smsa-valid'] });
          expect([w.reference_model_version, w.model_version]).toEqual([v, v]);
        }
      }
      const burst = all.filter((w) => at(w) >= 120 && at(w) < 123);
      console.log(`negative burst: ${burst.map((w) => (w.drifted ? `drifted (${w.reason})` : 'clean')).join('; ')}`);
      expect(burst).toHaveLength(3);
      for (const w of burst) {
        expect(Boolean(w.drifted)).toBe(true);
        expect(w.reason).toMatch(/negative share \d+ % -> \d+ %/);
      }
      const view = (await ctx.store.query<DriftSegmentRow>(DRIFT_SEGMENTS_SQL(db))).map(driftSegmentView);
      expect(view.find((v) => v.segment === APP)?.reference).toMatchObject({
        origin: 'model',
        sources: ['smsa-valid'],
        model_version: version,
      });
    },
  );
});
