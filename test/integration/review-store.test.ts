// The Platform demo path end to end: sample reviews from ULASAN_DATA_DIR produced as Avro to Kafka
// are stored in ClickHouse (chdb), bad records land on the dead-letter topic, nothing is lost.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceReviews } from '../../processors/producer/main.js';
import { rowToReview } from '../../processors/producer/handler.js';
import { parseConfig } from '../../platform/config.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { runProcessors, type Running } from '../../app/runner.js';
import type { DeadLetter } from '../../schemas/types.generated.js';
import { freshDir, stackAddresses, uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
const env = {
  ...process.env,
  KAFKA_BROKERS: brokers.join(','),
  SCHEMA_REGISTRY_URL: registryUrl,
  CHDB_PATH: freshDir('review-store'),
  ULASAN_TOPIC_PREFIX: prefix,
  REVIEW_STORE_GROUP: `${prefix}review-store`,
  LOG_LEVEL: 'warn',
};
let running: Running;

beforeAll(async () => {
  running = await runProcessors(
    ['review-store', 'dead-letter-store'],
    { ...env, DEAD_LETTER_STORE_GROUP: `${prefix}dls` },
    { opsServer: false },
  );
});
afterAll(async () => {
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
});

describe('review store', () => {
  it('stores every produced sample review once and dead-letters bad records', async () => {
    const { ctx } = running;
    const dataDir = parseConfig({}, env).ULASAN_DATA_DIR;
    const rows = readLabelledFile(path.join(dataDir, 'app-reviews/train.csv')).slice(0, 1000);
    const now = Date.now();
    const reviews = rows.map((r) =>
      rowToReview(r, {
        appId: 'id.co.blibli',
        source: 'google_play',
        startMs: now - 3_600_000,
        spacingMs: 1000,
        now,
        // Three releases, and one row whose version is hostile (200 KB): it is stored, cut to 64 characters.
        appVersion: r.index === 7 ? 'x'.repeat(200_000) : `2.${r.index % 3}.0`,
      }),
    );
    const good = reviews.filter((r) => r.text.trim() !== '');
    // Not every producer bounds the version (this one skips rowToReview's bound): the store does.
    good[1] = { ...good[1]!, app_version: `y${'9'.repeat(200_000)}` };
    await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, good);
    // Re-producing the same reviews (a scraper retry) must not create duplicates.
    await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, good.slice(0, 100));

    const producer = ctx.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: ctx.topics.reviews,
      messages: [
        { key: 'bad-json', value: Buffer.from('{"text":"not avro"}') },
        {
          key: 'bad-empty',
          value: await ctx.serde.encode(ctx.topics.reviews, { ...good[0]!, review_id: 'empty-1', text: '   ' }),
        },
      ],
    });
    await producer.disconnect();

    const count = async (): Promise<number> =>
      Number(
        (await ctx.store.query<{ n: string }>(`SELECT count() AS n FROM ${ctx.store.database}.reviews FINAL`))[0]!.n,
      );
    await waitFor(async () => (await count()) === good.length, 60_000, `${good.length} stored reviews`);
    const distinct = await ctx.store.query<{ n: string }>(
      `SELECT uniqExact(review_id) AS n FROM ${ctx.store.database}.reviews`,
    );
    expect(Number(distinct[0]!.n)).toBe(good.length);
    const versions = await ctx.store.query<{ app_version: string | null; n: string }>(
      `SELECT app_version, count() AS n FROM ${ctx.store.database}.reviews FINAL GROUP BY app_version ORDER BY app_version`,
    );
    const stored = new Map(versions.map((v) => [v.app_version, Number(v.n)]));
    expect([...stored.values()].reduce((a, b) => a + b, 0)).toBe(good.length);
    for (const v of stored.keys()) expect(v?.length ?? 0).toBeLessThanOrEqual(64);
    expect(stored.get(`y${'9'.repeat(63)}`)).toBe(1);
    const expected = (v: string) => good.filter((r) => r.app_version === v).length;
    for (const v of ['2.0.0', '2.1.0', '2.2.0']) expect(stored.get(v)).toBe(expected(v));
    expect(expected('2.0.0')).toBeGreaterThan(100);

    // Both bad records reach the dead-letter topic with their reason.
    const consumer = ctx.kafka.consumer({ groupId: `${prefix}dlq-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: ctx.topics.deadLetter, fromBeginning: true });
    const letters: DeadLetter[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            letters.push((await ctx.serde.decode<DeadLetter>(message.value)).value);
            if (letters.length === 2) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    const codes = letters.map((l) => l.error_code).sort();
    expect(codes).toEqual(['EMPTY_TEXT', 'NOT_AVRO']);
    const notAvro = letters.find((l) => l.error_code === 'NOT_AVRO')!;
    expect(Buffer.from(notAvro.original_value!).toString()).toBe('{"text":"not avro"}');
    expect(notAvro.origin_topic).toBe(ctx.topics.reviews);
    expect(await count()).toBe(good.length);
    // ... and the dead-letter store puts them where the dashboards read them.
    await waitFor(
      async () =>
        (await ctx.store.query(`SELECT error_code FROM ${ctx.store.database}.dead_letters FINAL`)).length === 2,
      30_000,
      'dead letters in ClickHouse',
    );
  });
});
