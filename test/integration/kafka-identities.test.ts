// One Kafka identity per processor, on the main stack (SCRAM and ACLs by default): the topics and
// every identity's ACLs are provisioned by the admin (`npm run kafka:provision`), then the runner
// hosts the processors with KAFKA_CREDENTIALS_FILE and no process identity, so each processor's
// clients authenticate as `ulasan-<processor>`. Expected: reviews produced by the producer identity
// are stored and scored, a bad one is dead-lettered, a promotion by the admin reaches the scorer
// through its own registry follower; and an identity cannot write, or read, a topic it does not own.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowToReview } from '../../processors/producer/handler.js';
import { produceReviews } from '../../processors/producer/main.js';
import { PRODUCER_IDENTITY, provisionKafka } from '../../app/provision.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { createKafka, type KafkaClient } from '../../platform/kafka/kafka.js';
import { ModelRegistry } from '../../platform/registry/registry.js';
import { topicNames } from '../../platform/kafka/topics.js';
import { runProcessors, type Running } from '../../app/runner.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { kafkaCredentials, layoutFor } from '../../stack/services.js';
import { DATA } from '../unit/models/fixtures.js';
import {
  ROOT,
  freshDir,
  sendOne,
  stackAddresses,
  stopAndDeleteTopics,
  uniquePrefix,
  waitFor,
  withoutStackIdentity,
} from '../helpers.js';
import { fixtureReviews, StoreReplay } from '../store-replay.js';

const { brokers, registryUrl, sasl } = stackAddresses();
const layout = layoutFor(ROOT);
const credentialsFile = path.join(layout.dir, 'kafka', 'credentials.json');
const users = kafkaCredentials(layout).users;
const prefix = uniquePrefix();
const names = topicNames(prefix);
const artifacts = freshDir('identities-artifacts');
const client = (who: { username: string; password: string } | undefined, id: string): KafkaClient =>
  createKafka({ brokers, clientId: id, sasl: who, retries: 2 });
const admin = client(sasl, 'identities-admin');
let running: Running;
// The scraper processor, as itself, keeps one app fed from a local replay of Google Play.
const replay = new StoreReplay();
const SCRAPED_APP = 'com.identities.replay';
const scraped = (n: number, newestAt: number) =>
  fixtureReviews(`ids${n}`, n, newestAt, ['aplikasi bagus', 'sering error']);

beforeAll(async () => {
  expect(layout.kafkaAuth).toBe('scram');
  const provisioned = await provisionKafka(admin, prefix);
  expect(provisioned.created.length).toBeGreaterThan(5);
  await replay.start();
  replay.setApp('google_play', SCRAPED_APP, scraped(60, Date.now() - 3_600_000));
  // Groups start with the identity's name: its ACLs are PREFIXED on `ulasan-<processor>`.
  const group = (p: string) => `ulasan-${p}-${prefix}`;
  running = await runProcessors(
    [
      'review-store',
      'scoring',
      'drift',
      'feedback-store',
      'dead-letter-store',
      'registry-mirror',
      'retrain-trigger',
      'training-launcher',
      'scraper',
    ],
    {
      ...withoutStackIdentity(),
      KAFKA_CREDENTIALS_FILE: credentialsFile,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('identities'),
      ULASAN_TOPIC_PREFIX: prefix,
      ULASAN_ARTIFACT_DIR: artifacts,
      REVIEW_STORE_GROUP: group('review-store'),
      SCORING_GROUP: group('scoring'),
      SCORING_MODEL_DIR: await ensureDefaultModel(),
      SCORING_INSTANCE_ID: `identities-${process.pid}`,
      DEAD_LETTER_STORE_GROUP: group('dead-letter-store'),
      REGISTRY_MIRROR_GROUP: group('registry-mirror'),
      DRIFT_GROUP: group('drift'),
      DRIFT_REFERENCE: 'model',
      FEEDBACK_STORE_GROUP: group('feedback-store'),
      LAUNCHER_GROUP: group('training-launcher'),
      LAUNCHER_WORK_DIR: freshDir('identities-runs'),
      TRIGGER_INTERVAL_MS: '2000',
      SCRAPER_APPS: `google_play:${SCRAPED_APP}`,
      SCRAPER_GOOGLE_PLAY_URL: replay.url,
      SCRAPER_RATE: '50',
      SCRAPER_EVERY: '2s',
      LOG_LEVEL: 'error',
    },
    { opsServer: false },
  );
}, 240_000);

afterAll(async () => {
  await replay.stop();
  await stopAndDeleteTopics(running, admin);
});

describe('one Kafka identity per processor', () => {
  it('runs the processors each as itself, end to end', { timeout: 240_000 }, async () => {
    const { ctx } = running;
    const producer = client(users[PRODUCER_IDENTITY], 'identities-producer');
    const serde = ctx.serde;
    const rows = readLabelledFile(path.join(DATA, 'app-reviews/train.csv')).filter((r) => r.text.trim() !== '');
    const reviews = rows.slice(0, 50).map((r) => ({
      ...rowToReview(r, {
        appId: 'app.ids',
        source: 'google_play',
        startMs: Date.now(),
        spacingMs: 10,
        now: Date.now(),
      }),
      review_id: `${prefix}r-${r.index}`,
    }));
    await produceReviews(producer, serde, names.reviews, reviews);
    const p = producer.producer();
    await p.connect();
    await p.send({ topic: names.reviews, messages: [{ key: 'bad', value: Buffer.from('not avro') }], acks: -1 });
    await p.disconnect();
    const db = ctx.store.database;
    const count = async (sql: string) => Number((await ctx.store.query<{ n: string }>(sql))[0]!.n);
    await waitFor(
      async () => (await count(`SELECT count() AS n FROM ${db}.predictions FINAL WHERE app_id = 'app.ids'`)) === 50,
      120_000,
      'scored',
    );
    const stored = `SELECT count() AS n FROM ${db}.reviews FINAL WHERE app_id = 'app.ids'`;
    await waitFor(async () => (await count(stored)) === 50, 60_000, 'stored');
    await waitFor(async () => (await count(`SELECT count() AS n FROM ${db}.dead_letters`)) >= 1, 60_000, 'dead letter');

    // A promotion written by the admin reaches the scorer through the scoring identity's follower.
    const registry = await ModelRegistry.open({ kafka: admin, serde, topics: names, artifactDir: artifacts });
    const { event } = await registry.register({
      name: 'ulasan-compact',
      packageDir: await ensureDefaultModel(),
      runId: null,
      reason: 'test',
      actor: 'test',
    });
    await registry.promote('ulasan-compact', event.version, 'test', 'test');
    const models = running.handles.scoring!.models as { snapshot(): { production: { version: string } } };
    await waitFor(async () => models.snapshot().production.version === String(event.version), 60_000, 'promotion');
    await waitFor(
      async () => (await count(`SELECT count() AS n FROM ${db}.model_versions FINAL`)) >= 1,
      60_000,
      'the registry mirror (its own identity) storing the version',
    );
  });

  it(
    'runs the scraper processor as itself: each round produces only the new reviews',
    { timeout: 120_000 },
    async () => {
      const { ctx } = running;
      const sql = `SELECT count() AS n, uniqExact(review_id) AS ids FROM ${ctx.store.database}.reviews WHERE app_id = '${SCRAPED_APP}'`;
      const stored = async () => (await ctx.store.query<{ n: string; ids: string }>(sql))[0]!;
      await waitFor(async () => Number((await stored()).ids) === 60, 60_000, 'the first round stored');
      replay.setApp('google_play', SCRAPED_APP, [
        ...scraped(5, Date.now() - 60_000),
        ...replay.apps.get(`google_play/${SCRAPED_APP}`)!,
      ]);
      await waitFor(async () => Number((await stored()).ids) === 65, 60_000, 'a later round stored the new reviews');
      expect(Number((await stored()).n)).toBe(65);
      expect(running.handles.scraper!.healthy()).toBe(true);
    },
  );

  it("refuses an identity another's topics, and a client without credentials", async () => {
    await expect(sendOne(client(users['ulasan-scraper'], 'identities-scraper'), names.scored)).rejects.toThrow(
      /authoriz/i,
    );
    const scorer = client(users['ulasan-scoring'], 'identities-scorer');
    await expect(sendOne(scorer, names.feedback)).rejects.toThrow(/authoriz/i);
    await expect(sendOne(scorer, names.retrain)).rejects.toThrow(/authoriz/i);
    const producer = client(users[PRODUCER_IDENTITY], 'identities-producer-2');
    await expect(sendOne(producer, names.scored)).rejects.toThrow(/authoriz/i);
    const reader = producer.kafka.consumer({ groupId: `${PRODUCER_IDENTITY}-${prefix}` });
    await reader.connect();
    try {
      await expect(reader.subscribe({ topic: names.scored, fromBeginning: true })).rejects.toThrow(/authoriz/i);
    } finally {
      await reader.disconnect();
    }
    await expect(sendOne(client(undefined, 'identities-anonymous'), names.reviews)).rejects.toThrow();
  });
});
