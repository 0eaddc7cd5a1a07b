// The scoring processor on the real stack: volume, bad input, hot reload.
import { cpSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceReviews } from '../../processors/producer/main.js';
import { runProcessors, type Running } from '../../app/runner.js';
import type { ModelHolder } from '../../models/serving/model-holder.js';
import { packageHash } from '../../models/core/package.js';
import type { DeadLetter, ModelVersionEvent, Review, ScoredReview } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { freshDir, stackAddresses, uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
let running: Running;
let modelDir: string;

const NOW = Date.now();
const review = (i: number, extra: Partial<Review> = {}): Review => ({
  review_id: `${prefix}r-${i}`,
  app_id: 'id.co.blibli',
  source: 'google_play',
  text: ['aplikasinya bagus sekali', 'sering error tidak bisa login', 'biasa saja', 'pengiriman cepat mantap 👍'][
    i % 4
  ]!,
  rating: (i % 5) + 1,
  lang: 'id',
  author_hash: null,
  created_at: NOW - 60_000 + i,
  ingested_at: NOW,
  // Every other review carries a version (the error/login one among them), the rest none.
  app_version: i % 2 === 1 ? '2.1.0' : null,
  ...extra,
});

async function count(sql: string): Promise<number> {
  return Number((await running.ctx.store.query<{ n: string }>(sql))[0]!.n);
}

async function readTopic<T>(
  topic: string,
  expected: number,
  timeoutMs = 60_000,
): Promise<{ key: string; value: T; headers: Record<string, string> }[]> {
  const { ctx } = running;
  const consumer = ctx.kafka.consumer({ groupId: `${prefix}reader-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: { key: string; value: T; headers: Record<string, string> }[] = [];
  try {
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        out.push({
          key: message.key?.toString() ?? '',
          value: (await ctx.serde.decode<T>(message.value)).value,
          headers,
        });
      },
    });
    await waitFor(async () => out.length >= expected, timeoutMs, `${expected} records on ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

beforeAll(async () => {
  modelDir = await ensureDefaultModel();
  running = await runProcessors(
    ['scoring'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('scoring'),
      ULASAN_TOPIC_PREFIX: prefix,
      SCORING_GROUP: `${prefix}scoring`,
      SCORING_MODEL_DIR: modelDir,
      SCORING_INSTANCE_ID: `test-${process.pid}`,
      LOG_LEVEL: 'warn',
    },
    { opsServer: false },
  );
}, 180_000);

afterAll(async () => {
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
});

describe('scoring processor', () => {
  it('scores 10,000 reviews exactly once into ClickHouse and the scored topic', async () => {
    const { ctx } = running;
    const reviews = Array.from({ length: 10_000 }, (_, i) => review(i));
    await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, reviews);
    const db = ctx.store.database;
    await waitFor(
      async () =>
        (await count(`SELECT count() AS n FROM ${db}.predictions FINAL WHERE review_id LIKE '${prefix}r-%'`)) ===
        10_000,
      120_000,
      '10,000 predictions',
    );
    expect(
      await count(`SELECT uniqExact(review_id) AS n FROM ${db}.predictions WHERE review_id LIKE '${prefix}r-%'`),
    ).toBe(10_000);
    expect(await count(`SELECT countIf(model_version = '' OR model_name = '') AS n FROM ${db}.predictions FINAL`)).toBe(
      0,
    );
    expect(
      await count(
        `SELECT count() AS n FROM ${db}.review_features FINAL WHERE review_id LIKE '${prefix}r-%' AND feature_set_version = 'fs-1'`,
      ),
    ).toBe(10_000);
    const scored = await readTopic<ScoredReview>(ctx.topics.scored, 10_000);
    expect(scored).toHaveLength(10_000);
    expect(new Set(scored.map((s) => s.value.review_id)).size).toBe(10_000);
    // The compact model gets the obvious ones right.
    const byId = new Map(scored.map((s) => [s.value.review_id, s.value]));
    expect(byId.get(`${prefix}r-0`)!.label).toBe('positive');
    expect(byId.get(`${prefix}r-1`)!.label).toBe('negative');
    // Complaint topics (models/topics) and the app version reach the scored topic ...
    expect(byId.get(`${prefix}r-1`)).toMatchObject({ topics: ['login', 'crash'], app_version: '2.1.0' });
    expect(byId.get(`${prefix}r-3`)).toMatchObject({ topics: ['delivery'], app_version: '2.1.0' });
    expect(byId.get(`${prefix}r-0`)).toMatchObject({ topics: [], app_version: null });
    // ... and ClickHouse predictions, for every review.
    const mine = `review_id LIKE '${prefix}r-%'`;
    const byTopic = await running.ctx.store.query<{ topics: string[]; app_version: string | null; n: string }>(
      `SELECT topics, app_version, count() AS n FROM ${db}.predictions FINAL WHERE ${mine}
       GROUP BY topics, app_version ORDER BY n DESC, toString(topics)`,
    );
    expect(byTopic.map((r) => [r.topics, r.app_version, Number(r.n)])).toEqual([
      [[], null, 5000],
      [['delivery'], '2.1.0', 2500],
      [['login', 'crash'], '2.1.0', 2500],
    ]);
  });

  it('scores a review with 10,000 topic words and a 200 KB version: tagged, the version cut to 64 characters', async () => {
    const { ctx } = running;
    const hostile = review(20_000, {
      text: Array(10_000).fill('cs').join(' '),
      app_version: `9.${'9'.repeat(200_000)}`,
    });
    await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, [hostile, review(20_001)]);
    const db = ctx.store.database;
    const rows = async () =>
      ctx.store.query<{ review_id: string; topics: string[]; app_version: string | null }>(
        `SELECT review_id, topics, app_version FROM ${db}.predictions FINAL
         WHERE review_id IN ('${prefix}r-20000', '${prefix}r-20001') ORDER BY review_id`,
      );
    await waitFor(async () => (await rows()).length === 2, 60_000, 'both reviews scored');
    expect(await rows()).toEqual([
      { review_id: `${prefix}r-20000`, topics: ['customer_service'], app_version: `9.${'9'.repeat(62)}` },
      { review_id: `${prefix}r-20001`, topics: ['login', 'crash'], app_version: '2.1.0' },
    ]);
  });

  it('dead-letters 20+ kinds of bad input with a reason and keeps scoring the good records around them', async () => {
    const { ctx } = running;
    const topic = ctx.topics.reviews;
    const enc = (r: Review) => ctx.serde.encode(topic, r);
    const schemaId = ctx.serde.schemaId(topic);
    const reviewType = avro.Type.forSchema((await ctx.serde.registry.getSchema(schemaId)) as unknown as avro.Schema);
    const framed = (payload: Buffer, id = schemaId) => {
      const b = Buffer.alloc(5 + payload.length);
      b.writeUInt8(0, 0);
      b.writeInt32BE(id, 1);
      payload.copy(b, 5);
      return b;
    };
    // A record of another subject's schema (Feedback) and a "review" missing most fields.
    const feedback = await ctx.serde.encode(ctx.topics.feedback, {
      review_id: 'x',
      true_label: 'positive',
      source: 'user',
      given_at: NOW,
    });
    const partialSchema = {
      type: 'record',
      name: 'PartialReview',
      namespace: 'test',
      fields: [{ name: 'review_id', type: 'string' }],
    };
    const partialId = await ctx.serde.register(`${prefix}partial`, 'PartialReview', partialSchema);
    const partial = framed(avro.Type.forSchema(partialSchema as avro.Schema).toBuffer({ review_id: 'p1' }), partialId);
    const good = reviewType.toBuffer(review(900_000));
    const badUtf8 = Buffer.from(good);
    const at = badUtf8.indexOf(Buffer.from('bagus'));
    expect(at).toBeGreaterThan(0);
    badUtf8[at] = 0xff; // invalid UTF-8 inside the text
    const bad: [string, Buffer | null, string][] = [
      ['not-avro-json', Buffer.from('{"text":"json, not avro"}'), 'NOT_AVRO'],
      ['empty-bytes', Buffer.alloc(0), 'NOT_AVRO'],
      ['tombstone', null, 'NOT_AVRO'],
      ['unknown-schema-id', framed(Buffer.from([2, 3]), 987_654), 'UNKNOWN_SCHEMA'],
      ['wrong-schema-feedback', feedback, 'WRONG_SCHEMA'],
      ['missing-fields', partial, 'WRONG_SCHEMA'],
      ['truncated-avro', framed(good.subarray(0, 6)), 'DECODE_FAILED'],
      ['invalid-utf8', framed(badUtf8), 'INVALID_UNICODE'],
      ['empty-text', await enc(review(900_002, { text: '' })), 'EMPTY_TEXT'],
      ['whitespace-text', await enc(review(900_003, { text: ' \n\t ' })), 'EMPTY_TEXT'],
      ['1mb-text', await enc(review(900_004, { text: 'a'.repeat(1_000_000) })), 'TEXT_TOO_LARGE'],
      ['control-chars', await enc(review(900_005, { text: 'halo\u0007dunia' })), 'CONTROL_CHARACTERS'],
      ['nul-byte', await enc(review(900_006, { text: 'halo\u0000' })), 'CONTROL_CHARACTERS'],
      ['lone-surrogate', await enc(review(900_007, { text: 'rusak \uD83D' })), 'INVALID_UNICODE'],
      ['future-timestamp', await enc(review(900_008, { created_at: NOW + 30 * 86_400_000 })), 'BAD_TIMESTAMP'],
      ['zero-timestamp', await enc(review(900_009, { created_at: 0 })), 'BAD_TIMESTAMP'],
      ['negative-timestamp', await enc(review(900_010, { ingested_at: -5 })), 'BAD_TIMESTAMP'],
      ['rating-zero', await enc(review(900_011, { rating: 0 })), 'BAD_RATING'],
      ['rating-nine', await enc(review(900_012, { rating: 9 })), 'BAD_RATING'],
      ['id-with-space', await enc(review(900_013, { review_id: 'has space' })), 'BAD_ID'],
      ['empty-app', await enc(review(900_014, { app_id: '' })), 'BAD_ID'],
      ['id-too-long', await enc(review(900_015, { review_id: 'x'.repeat(300) })), 'BAD_ID'],
    ];
    expect(bad.length).toBeGreaterThanOrEqual(20);
    const goods = Array.from({ length: 30 }, (_, i) => review(800_000 + i));
    const dup = review(800_000); // same review_id as the first good one, same batch
    const messages = [];
    for (let i = 0; i < bad.length; i++) {
      messages.push({ key: `${prefix}bad-${bad[i]![0]}`, value: bad[i]![1] });
      messages.push({ key: goods[i]!.review_id, value: await enc(goods[i]!) });
    }
    messages.push({ key: `${prefix}bad-duplicate`, value: await enc(dup) });
    for (const g of goods.slice(bad.length)) messages.push({ key: g.review_id, value: await enc(g) });
    const producer = ctx.kafka.producer();
    await producer.connect();
    // One partition for all of them, so the duplicate meets its twin in the same batch.
    await producer.send({ topic, messages: messages.map((m) => ({ ...m, partition: 0 })) });
    await producer.disconnect();

    const letters = await readTopic<DeadLetter>(ctx.topics.deadLetter, bad.length + 1);
    const byKey = new Map(letters.map((l) => [l.key, l]));
    for (const [name, , code] of bad) {
      const l = byKey.get(`${prefix}bad-${name}`);
      expect(l, name).toBeDefined();
      expect(l!.value.error_code, name).toBe(code);
      expect(l!.value.reason.length, name).toBeGreaterThan(0);
      expect(l!.headers['x-origin-topic']).toBe(topic);
      expect(l!.value.origin_partition).toBe(0);
    }
    expect(byKey.get(`${prefix}bad-duplicate`)!.value.error_code).toBe('DUPLICATE_REVIEW');
    const db = ctx.store.database;
    const ids = goods.map((g) => `'${g.review_id}'`).join(',');
    await waitFor(
      async () =>
        (await count(`SELECT count() AS n FROM ${db}.predictions FINAL WHERE review_id IN (${ids})`)) === goods.length,
      60_000,
      'good records scored',
    );
    expect(running.handles.scoring!.healthy()).toBe(true);
  });

  it('hot-reloads a new Production version mid-stream without losing a record', async () => {
    const { ctx } = running;
    const models = running.handles.scoring!.models as ModelHolder;
    const before = Array.from({ length: 2000 }, (_, i) => review(500_000 + i));
    await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, before);

    // Version 7 of the followed model: the same package files under another directory of the store.
    const v7 = path.join(ctx.config.ULASAN_ARTIFACT_DIR, `${prefix}v7`);
    cpSync(modelDir, v7, { recursive: true });
    const meta = JSON.parse(readFileSync(path.join(v7, 'ulasan.json'), 'utf8'));
    writeFileSync(path.join(v7, 'ulasan.json'), JSON.stringify({ ...meta, version: '7' }));
    // Version 6 claims v7's hash, but one byte of its model differs: the scorer must refuse it.
    const v6 = path.join(ctx.config.ULASAN_ARTIFACT_DIR, `${prefix}v6`);
    cpSync(v7, v6, { recursive: true });
    const onnx = readFileSync(path.join(v6, 'model.onnx'));
    onnx[onnx.length - 1]! ^= 0x01;
    writeFileSync(path.join(v6, 'model.onnx'), onnx);
    const swapped = new Promise<void>((resolve) =>
      models.onSwap((e) => e.role === 'production' && e.version === '7' && resolve()),
    );
    const event = (version: number, dir: string): ModelVersionEvent => ({
      name: 'ulasan-compact',
      version,
      stage: 'Production',
      metrics: { accuracy: 0.89 },
      artifact_uri: `file://${dir}`,
      content_hash: packageHash(v7),
      run_id: null,
      reason: 'hot reload test',
      actor: 'test',
      timestamp: Date.now() + version,
    });
    const refused = async () =>
      (await ctx.metrics.getSingleMetric('ulasan_model_artifact_refused_total')?.get())?.values.find(
        (x) => x.labels.reason === 'hash-mismatch',
      )?.value ?? 0;
    const producer = ctx.kafka.producer();
    await producer.connect();
    const announce = async (version: number, dir: string) =>
      producer.send({
        topic: ctx.topics.registry,
        messages: [
          { key: `ulasan-compact/${version}`, value: await ctx.serde.encode(ctx.topics.registry, event(version, dir)) },
        ],
      });
    const productionBefore = models.snapshot().production.version;
    await announce(6, v6);
    await waitFor(async () => (await refused()) >= 1, 30_000, 'tampered v6 refused');
    expect(models.snapshot().production.version).toBe(productionBefore);
    await announce(7, v7);
    const during = Array.from({ length: 2000 }, (_, i) => review(510_000 + i));
    await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, during);
    await swapped;
    const after = Array.from({ length: 2000 }, (_, i) => review(520_000 + i));
    await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, after);
    await producer.disconnect();

    const db = ctx.store.database;
    const like = `(review_id LIKE '${prefix}r-50____' OR review_id LIKE '${prefix}r-51____' OR review_id LIKE '${prefix}r-52____')`;
    await waitFor(
      async () => (await count(`SELECT count() AS n FROM ${db}.predictions FINAL WHERE ${like}`)) === 6000,
      120_000,
      '6,000 predictions',
    );
    const afterIds = after.map((r) => `'${r.review_id}'`).join(',');
    expect(
      await count(
        `SELECT countIf(model_version != '7') AS n FROM ${db}.predictions FINAL WHERE review_id IN (${afterIds})`,
      ),
    ).toBe(0);
    const versions = await ctx.store.query<{ model_version: string }>(
      `SELECT DISTINCT model_version FROM ${db}.predictions FINAL WHERE ${like} ORDER BY model_version`,
    );
    expect(versions.map((v) => v.model_version)).toContain('7');
    expect(models.snapshot().production.version).toBe('7');
  });
});
