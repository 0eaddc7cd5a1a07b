// End-to-end scoring rate vs the raw consume rate of the same topic, in one run.
//   npm run stack:up && npm run bench:scoring [-- --reviews 100000]
// 1. produce N real reviews (app-reviews + SmSA, cycled, unique ids) to a fresh topic;
// 2. raw: a bare kafkajs consumer (same adapter, eachBatch, no decoding) reads all N;
// 3. e2e: the scoring processor (in this process, embedded chdb) consumes the same topic from the
//    start: decode, validate, features, compact model, ClickHouse inserts, transactional produce of
//    ScoredReviews + offsets, until N predictions are in `predictions FINAL`.
// Both rates are timed the same way: from the first batch handed to the code to the last record
// done (joining the group, loading the model and opening producers are reported apart, as start-up).
// Env passes through, so SCORING_CONCURRENCY=1 npm run bench:scoring compares settings.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { Prediction } from '../models/core/engine.js';
import { computeFeatures } from '../models/features/features.js';
import { defaultTagger } from '../models/topics/tagger.js';
import { produceReviews } from '../processors/producer/main.js';
import { scoredMessage } from '../processors/scoring/handler.js';
import { chunkBySize } from '../processors/shared/kafka.js';
import type { Message } from '../processors/shared/kafka.js';
import { rowToReview } from '../processors/producer/handler.js';
import { parseConfig } from '../processors/shared/config.js';
import { readLabelledFile } from '../processors/shared/datasets.js';
import { runProcessors } from '../processors/runner.js';
import { ensureDefaultModel } from '../scripts/model-build.js';
import { freshDir, uniquePrefix } from '../test/helpers.js';

const { values } = parseArgs({ options: { reviews: { type: 'string', default: '200000' } } });
const N = Number(values.reviews);
const prefix = uniquePrefix();
const data = parseConfig({}).ULASAN_DATA_DIR;
const rows = [
  ...readLabelledFile(path.join(data, 'app-reviews/train.csv')),
  ...readLabelledFile(path.join(data, 'smsa/valid_preprocess.tsv')),
].filter((r) => r.text.trim() !== '');
const now = Date.now();
const reviews = Array.from({ length: N }, (_, i) => {
  const r = rowToReview(
    { ...rows[i % rows.length]!, index: i },
    { appId: 'bench', source: 'bench', startMs: now - N, spacingMs: 1, now },
  );
  return { ...r, review_id: `${prefix}b-${i}` };
});

const modelDir = await ensureDefaultModel({ log: console.log });
const chdbDir = freshDir('bench-e2e');
const running = await runProcessors(
  [],
  {
    ...process.env,
    CHDB_PATH: chdbDir,
    ULASAN_TOPIC_PREFIX: prefix,
    SCORING_GROUP: `${prefix}scoring`,
    SCORING_MODEL_DIR: modelDir,
    SCORING_SHADOW_SAMPLE: '0',
    LOG_LEVEL: 'warn',
  },
  { opsServer: false },
);
const { ctx } = running;

let t = performance.now();
await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, reviews, { batchSize: 2000 });
const produceRate = N / ((performance.now() - t) / 1000);

// Raw consume rate of the same topic.
const raw = ctx.kafka.consumer({ groupId: `${prefix}raw`, maxBytes: 50 * 1024 * 1024 });
await raw.connect();
await raw.subscribe({ topic: ctx.topics.reviews, fromBeginning: true });
let seen = 0;
let rawStart = 0;
const rawDone = new Promise<void>((resolve) => {
  void raw.run({
    eachBatch: async ({ batch }) => {
      if (!rawStart && batch.messages.length) rawStart = performance.now();
      seen += batch.messages.length;
      if (seen >= N) resolve();
    },
  });
});
await rawDone;
const rawSecs = (performance.now() - rawStart) / 1000;
await raw.disconnect();
const rawRate = N / rawSecs;

// End to end: a fresh scorer on the same topic and ClickHouse.
const { scoring } = await import('../processors/scoring/main.js');
const consumed = async (): Promise<number> =>
  (await ctx.metrics.getSingleMetric('ulasan_scoring_consumed_total')?.get())?.values.reduce(
    (a, v) => a + v.value,
    0,
  ) ?? 0;
t = performance.now();
const handle = await scoring.start(ctx);
// The first batch bumps the consumed counter before any work on it: that is the e2e start.
let e2eStart = 0;
while (!e2eStart) {
  if ((await consumed()) > 0) e2eStart = performance.now();
  else await new Promise((r) => setTimeout(r, 5));
}
const startupSecs = (e2eStart - t) / 1000;
const db = ctx.store.database;
for (;;) {
  const [c] = await ctx.store.query<{ n: string }>(`SELECT count() AS n FROM ${db}.predictions FINAL`);
  if (Number(c!.n) >= N) break;
  await new Promise((r) => setTimeout(r, 100));
}
const e2eSecs = (performance.now() - e2eStart) / 1000;
const e2eRate = N / e2eSecs;
// Wall time per review in each stage of the scorer (clickhouse and kafka_send run side by side).
const stages = (await ctx.metrics.getSingleMetric('ulasan_scoring_stage_seconds')!.get()).values
  .filter((v) => (v as { metricName?: string }).metricName === 'ulasan_scoring_stage_seconds_sum')
  .map((v) => ({ stage: String(v.labels.stage), 'us/review': Number(((v.value * 1e6) / N).toFixed(1)) }));
await handle.stop();

// The ceiling the Kafka side alone sets: the same client producing N ScoredReviews, encoded
// beforehand, in transactions of 5,000 (the scorer's batch size) to a scratch topic; nothing else.
const encodeScored = await ctx.serde.encoderFor(ctx.topics.scored);
const pred: Prediction = {
  label: 'positive',
  sentiment: 'positive',
  confidence: 0.9,
  probabilities: { negative: 0.05, neutral: 0.05, positive: 0.9 },
  modelName: 'bench',
  modelVersion: '1',
};
const probs = { negative: 0.05, neutral: 0.05, positive: 0.9 };
const encoded: Message[] = reviews.map((r, i) => {
  const f = computeFeatures(r.text);
  const topics = defaultTagger().tagClean(f.clean_text);
  const msg = scoredMessage(r, pred, probs, f, { partition: 0, offset: String(i) }, now, false, topics);
  return { key: r.review_id, value: encodeScored(msg) };
});
const scratch = `${prefix}bench.ceiling`;
await ctx.kafka.ensureTopics([{ key: 'probe', name: scratch, partitions: 6, config: { 'cleanup.policy': 'delete' } }]);
const txProducer = ctx.kafka.producer({
  transactionalId: `${prefix}bench-ceiling`,
  maxInFlightRequests: 1,
  idempotent: true,
});
await txProducer.connect();
t = performance.now();
for (let i = 0; i < N; i += 5000) {
  const tx = await txProducer.transaction();
  for (const messages of chunkBySize(encoded.slice(i, i + 5000), 512 * 1024))
    await tx.send({ topic: scratch, messages });
  await tx.commit();
}
const ceilingRate = N / ((performance.now() - t) / 1000);
await txProducer.disconnect();
await ctx.kafka.deleteTopics([scratch]).catch(() => undefined);
await running.stop();
rmSync(chdbDir, { recursive: true, force: true });
await ctx.kafka.deleteTopics(Object.values(ctx.topics)).catch(() => undefined);

const setting = (k: string, d: string): string => `${k}=${process.env[k] ?? d}`;
console.log(`\n${N} reviews (real texts), 6 partitions, compact model ${modelDir}`);
console.log(
  `scorer: ${setting('SCORING_MAX_BATCH_BYTES', '1048576 (default)')} ${setting('SCORING_INTRA_OP_THREADS', '1 (default)')}; start-up (model, producer, group join) ${startupSecs.toFixed(2)} s, not in the rate`,
);
console.table([
  { stage: 'produce (idempotent, acks=all)', 'reviews/s': Math.round(produceRate) },
  { stage: 'raw consume (bare kafkajs eachBatch)', 'reviews/s': Math.round(rawRate), seconds: rawSecs.toFixed(2) },
  {
    stage: 'end to end: consume -> score -> ClickHouse + scored topic',
    'reviews/s': Math.round(e2eRate),
    seconds: e2eSecs.toFixed(2),
  },
  { stage: 'ceiling: transactional produce of pre-encoded ScoredReviews only', 'reviews/s': Math.round(ceilingRate) },
]);
console.log('scorer stages (wall time per review; clickhouse and kafka_send overlap; topics: the complaint tagger):');
console.table(stages);
console.log(
  `ratio end-to-end / ceiling (transactional produce only) = ${(e2eRate / ceilingRate).toFixed(2)} (target >= 0.5)`,
);
console.log(
  `ratio end-to-end / raw consume = ${(e2eRate / rawRate).toFixed(2)}; ceiling / raw consume = ${(ceilingRate / rawRate).toFixed(2)} (what the scored topic's writes alone allow)`,
);
process.exit(0);
