// Hostile input on the real stack: every processor that consumes a topic runs in one process (as in
// the embedded demo), bad records of every kind are produced between good ones, and afterwards:
// every processor is healthy, every good review is stored and scored exactly once, and every bad
// record is in the dead-letter store with its code and a reason.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowToReview } from '../../processors/producer/handler.js';
import { produceReviews } from '../../processors/producer/main.js';
import { readLabelledFile } from '../../platform/datasets.js';
import type { Message } from '../../platform/kafka/kafka.js';
import { runProcessors, type Running } from '../../app/runner.js';
import type { Feedback, Review, ScoredReview } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { DATA } from '../unit/models/fixtures.js';
import { framed, garbageMessages } from '../../scripts/soak/faults.js';
import { freshDir, stackAddresses, uniquePrefix, varint, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
let running: Running;

beforeAll(async () => {
  const modelDir = await ensureDefaultModel();
  running = await runProcessors(
    [
      'review-store',
      'scoring',
      'drift',
      'feedback-store',
      'dead-letter-store',
      'registry-mirror',
      'training-launcher',
      'retrain-trigger',
    ],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('hostile'),
      ULASAN_TOPIC_PREFIX: prefix,
      ULASAN_ARTIFACT_DIR: freshDir('hostile-artifacts'),
      REVIEW_STORE_GROUP: `${prefix}review-store`,
      SCORING_GROUP: `${prefix}scoring`,
      SCORING_MODEL_DIR: modelDir,
      SCORING_INSTANCE_ID: `hostile-${process.pid}`,
      DRIFT_GROUP: `${prefix}drift`,
      DRIFT_MODEL_DIR: modelDir,
      FEEDBACK_STORE_GROUP: `${prefix}feedback`,
      DEAD_LETTER_STORE_GROUP: `${prefix}dls`,
      REGISTRY_MIRROR_GROUP: `${prefix}mirror`,
      LAUNCHER_GROUP: `${prefix}launcher`,
      LAUNCHER_WORK_DIR: freshDir('hostile-runs'),
      TRIGGER_INTERVAL_MS: '3600000',
      LOG_LEVEL: 'error',
    },
    { opsServer: false },
  );
}, 240_000);

afterAll(async () => {
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
});

function sampleReviews(label: string, n: number, startMs: number): Review[] {
  const rows = readLabelledFile(path.join(DATA, 'app-reviews/train.csv')).filter((r) => r.text.trim() !== '');
  return rows.slice(0, n).map((r) => ({
    ...rowToReview(r, { appId: 'id.co.hostile', source: 'google_play', startMs, spacingMs: 1000, now: Date.now() }),
    review_id: `${prefix}${label}-${r.index}`,
  }));
}

/** Every hostile Review-topic message, with the dead-letter code it must get. */
async function hostileReviews(good: Review): Promise<{ code: string; message: Message }[]> {
  const { ctx } = running;
  const encode = (r: Partial<Review>): Promise<Buffer> => ctx.serde.encode(ctx.topics.reviews, { ...good, ...r });
  const reviewsId = ctx.serde.schemaId(ctx.topics.reviews);
  const valid = await encode({ review_id: 'h-truncated' });
  const utf8 = await encode({ review_id: 'h-utf8', text: 'ulasan ZZZZ bagus' });
  const zz = utf8.indexOf('ZZZZ');
  utf8.set([0xff, 0xfe, 0xc3, 0x28], zz); // not UTF-8: decodes to replacement characters
  const feedbackBody = (
    await ctx.serde.encode(ctx.topics.feedback, {
      review_id: 'x',
      true_label: 'positive',
      source: 'user',
      given_at: Date.now(),
    })
  ).subarray(5);
  return [
    { code: 'DECODE_FAILED', message: { key: 'truncated', value: valid.subarray(0, valid.length - 5) } },
    { code: 'DECODE_FAILED', message: { key: 'negative-length', value: framed(reviewsId, varint(-5)) } },
    { code: 'DECODE_FAILED', message: { key: 'huge-count', value: framed(reviewsId, [...varint(2 ** 40), 0, 0, 0]) } },
    { code: 'NOT_AVRO', message: { key: 'magic', value: Buffer.concat([Buffer.from([1]), valid.subarray(1)]) } },
    { code: 'NOT_AVRO', message: { key: 'tombstone', value: null } },
    { code: 'UNKNOWN_SCHEMA', message: { key: 'unknown-id', value: framed(999_999, valid.subarray(5)) } },
    {
      code: 'WRONG_SCHEMA',
      message: { key: 'other-subject', value: framed(ctx.serde.schemaId(ctx.topics.feedback), feedbackBody) },
    },
    {
      code: 'TEXT_TOO_LARGE',
      message: { key: 'one-mb', value: await encode({ review_id: 'h-1mb', text: 'jelek '.repeat(170_000) }) },
    },
    {
      code: 'BAD_TIMESTAMP',
      message: { key: 'year-10000', value: await encode({ review_id: 'h-10000', created_at: Date.UTC(10000, 0, 1) }) },
    },
    {
      code: 'BAD_TIMESTAMP',
      message: { key: 'negative-time', value: await encode({ review_id: 'h-neg', created_at: -86_400_000 }) },
    },
    { code: 'INVALID_UNICODE', message: { key: 'utf8', value: utf8 } },
  ];
}

async function send(topic: string, messages: Message[]): Promise<void> {
  const producer = running.ctx.kafka.producer();
  await producer.connect();
  for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, messages: messages.slice(i, i + 500) });
  await producer.disconnect();
}

async function hostileOtherTopics(): Promise<{ topic: string; code: string }[]> {
  const { ctx } = running;
  const t = ctx.topics;
  const feedback: Feedback = {
    review_id: 'f-10000',
    true_label: 'negative',
    source: 'user',
    given_at: Date.UTC(10000, 0, 1),
  };
  const scored: ScoredReview = {
    review_id: 's-nan',
    app_id: 'a',
    source: 's',
    label: 'positive',
    prob_negative: Number.NaN,
    prob_neutral: 0,
    prob_positive: Number.POSITIVE_INFINITY,
    model_name: 'm',
    model_version: '1',
    feature_set_version: 'f',
    created_at: Date.now(),
    scored_at: Date.now(),
    features: { char_count: Number.NaN },
  };
  // ModelVersionEvent: name, then version; then a metrics map whose block count claims 2^40 entries.
  const registryHostile = framed(ctx.serde.schemaId(t.registry), [
    ...varint(1),
    0x6d,
    ...varint(1),
    ...varint(0),
    ...varint(2 ** 40),
  ]);
  await send(t.feedback, [
    { key: 'f', value: await ctx.serde.encode(t.feedback, feedback) },
    { key: 'f-tomb', value: null },
  ]);
  await send(t.scored, [
    { key: 's', value: await ctx.serde.encode(t.scored, scored) },
    { key: 's-tomb', value: null },
  ]);
  await send(t.registry, [
    { key: 'r', value: registryHostile },
    { key: 'r-tomb', value: null },
  ]);
  await send(t.retrain, [
    { key: 'q', value: Buffer.from('not a request') },
    { key: 'q-tomb', value: null },
  ]);
  await send(t.trainingRuns, [{ key: 'tr-tomb', value: null }]);
  await send(t.deadLetter, [{ key: 'dl', value: framed(999_998, [1, 2, 3]) }]);
  for (const topic of [t.drift, t.triggerState, t.predictionLog]) await send(topic, [{ key: 'tomb', value: null }]);
  return [
    { topic: t.feedback, code: 'TIMESTAMP_OUT_OF_RANGE' },
    { topic: t.feedback, code: 'NOT_AVRO' },
    { topic: t.scored, code: 'DATA_INVALID' },
    { topic: t.scored, code: 'NOT_AVRO' },
    { topic: t.registry, code: 'DECODE_FAILED' },
    { topic: t.registry, code: 'NOT_AVRO' },
    { topic: t.retrain, code: 'NOT_AVRO' },
    { topic: t.trainingRuns, code: 'NOT_AVRO' },
    { topic: t.deadLetter, code: 'UNKNOWN_SCHEMA' },
  ];
}

const count = async (sql: string): Promise<number> => Number((await running.ctx.store.query<{ n: string }>(sql))[0]!.n);

describe('hostile input', () => {
  it(
    'dead-letters every bad record with its code, stores the good ones once, and every processor stays healthy',
    { timeout: 300_000 },
    async () => {
      const { ctx } = running;
      const db = ctx.store.database;
      const now = Date.now();
      const before = sampleReviews('before', 50, now - 7_200_000);
      const after = sampleReviews('after', 50, now - 3_600_000);
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, before);
      const hostile = await hostileReviews(before[0]!);
      // The hostile ones on partition 0 in order (their dead letters are then in offset order), the
      // garbage burst on partition 1.
      await send(
        ctx.topics.reviews,
        hostile.map((h) => ({ ...h.message, partition: 0 })),
      );
      const burst = garbageMessages(10_000).map((m) => ({ ...m, partition: 1 }));
      await send(ctx.topics.reviews, burst);
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, after);
      const others = await hostileOtherTopics();

      const good = before.length + after.length;
      await waitFor(
        async () => (await count(`SELECT count() AS n FROM ${db}.predictions FINAL`)) === good,
        180_000,
        `${good} predictions`,
      );
      await waitFor(
        async () => (await count(`SELECT count() AS n FROM ${db}.reviews FINAL`)) === good,
        60_000,
        `${good} stored reviews`,
      );
      const reviewsBad = hostile.length + burst.length;
      for (const processor of ['review-store', 'scoring']) {
        const sql = `SELECT count() AS n FROM ${db}.dead_letters FINAL WHERE origin_topic = '${ctx.topics.reviews}' AND processor = '${processor}'`;
        await waitFor(
          async () => (await count(sql)) === reviewsBad,
          120_000,
          `${reviewsBad} dead letters from ${processor}`,
        );
      }
      // Exactly once: no review id twice in either table, even before merges.
      expect(await count(`SELECT count() - uniqExact(review_id) AS n FROM ${db}.predictions`)).toBe(0);

      const codeAt = await ctx.store.query<{ key: string; code: string; reason: string }>(
        `SELECT DISTINCT origin_offset AS key, error_code AS code, reason FROM ${db}.dead_letters FINAL
       WHERE origin_topic = '${ctx.topics.reviews}' AND processor = 'review-store' AND origin_partition = 0 ORDER BY origin_offset`,
      );
      expect(codeAt.map((r) => r.code)).toEqual(hostile.map((h) => h.code));
      for (const r of codeAt) expect(r.reason.length).toBeGreaterThan(10);
      const big = await ctx.store.query<{ size: string; truncated: boolean | number }>(
        `SELECT original_size AS size, original_truncated AS truncated FROM ${db}.dead_letters FINAL WHERE error_code = 'TEXT_TOO_LARGE' LIMIT 1`,
      );
      expect(Number(big[0]!.size)).toBeGreaterThan(1_000_000);
      expect(Boolean(big[0]!.truncated)).toBe(true);

      for (const o of others) {
        const sql = `SELECT count() AS n FROM ${db}.dead_letters FINAL WHERE origin_topic = '${o.topic}' AND error_code = '${o.code}'`;
        await waitFor(async () => (await count(sql)) >= 1, 60_000, `a ${o.code} dead letter from ${o.topic}`);
      }
      for (const [name, h] of Object.entries(running.handles))
        expect({ name, healthy: h.healthy() }).toEqual({ name, healthy: true });
    },
  );

  it(
    'treats a later created_at as an edit, the same time with another text as a conflict, an older one as superseded',
    { timeout: 120_000 },
    async () => {
      const { ctx } = running;
      const db = ctx.store.database;
      const t = Date.now() - 600_000;
      const base: Review = {
        ...sampleReviews('edit', 1, t)[0]!,
        review_id: `${prefix}edit-1`,
        created_at: t,
        text: 'aplikasi bagus sekali',
      };
      const edit = { ...base, created_at: t + 1000, text: 'setelah update jadi sering error' };
      const stored = async (table: string): Promise<{ t: string; n: string }[]> =>
        ctx.store.query(
          `SELECT toUnixTimestamp64Milli(created_at) AS t, count() OVER () AS n FROM ${db}.${table} FINAL WHERE review_id = '${base.review_id}'`,
        );
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, [base]);
      await waitFor(
        async () => (await stored('predictions')).length === 1 && (await stored('reviews')).length === 1,
        60_000,
        'the original stored',
      );
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, [edit]);
      for (const table of ['predictions', 'reviews']) {
        await waitFor(
          async () => Number((await stored(table))[0]?.t) === edit.created_at,
          60_000,
          `the edit in ${table}`,
        );
      }
      const text = await ctx.store.query<{ text: string }>(
        `SELECT text FROM ${db}.reviews FINAL WHERE review_id = '${base.review_id}'`,
      );
      expect(text).toEqual([{ text: edit.text }]);
      await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, [
        { ...edit, text: 'teks lain dengan waktu yang sama' },
        { ...base, created_at: t - 1000, text: 'versi lama' },
      ]);
      for (const code of ['REVIEW_ID_CONFLICT', 'REVIEW_SUPERSEDED']) {
        const sql = `SELECT count() AS n FROM ${db}.dead_letters FINAL WHERE error_code = '${code}'`;
        await waitFor(async () => (await count(sql)) === 2, 60_000, `${code} from both review processors`);
      }
      const final = await stored('predictions');
      expect(final.map((r) => [Number(r.t), Number(r.n)])).toEqual([[edit.created_at, 1]]);
    },
  );
});
