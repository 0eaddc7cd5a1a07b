// End-to-end scoring rate vs the raw consume rate of the same topic, in one run.
//   npm run stack:up && npm run bench:scoring [-- --reviews 100000]
// 1. produce N real reviews (app-reviews + SmSA, cycled, unique ids) to a fresh topic;
// 2. raw: a bare kafkajs consumer (same adapter, eachBatch, no decoding) reads all N;
// 3. e2e: the scoring processor (in this process, embedded chdb) consumes the same topic from the
//    start: decode, validate, features, compact model, ClickHouse inserts, transactional produce of
//    ScoredReviews + offsets, until N predictions are in `predictions FINAL`.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { produceReviews } from '../processors/producer/main.js';
import { rowToReview } from '../processors/producer/handler.js';
import { parseConfig } from '../processors/shared/config.js';
import { readLabelledFile } from '../processors/shared/datasets.js';
import { runProcessors } from '../processors/runner.js';
import { ensureDefaultModel } from '../scripts/model-build.js';
import { freshDir, uniquePrefix } from '../test/helpers.js';

const { values } = parseArgs({ options: { reviews: { type: 'string', default: '100000' } } });
const N = Number(values.reviews);
const prefix = uniquePrefix();
const data = parseConfig({}).ULASAN_DATA_DIR;
const rows = [...readLabelledFile(path.join(data, 'app-reviews/train.csv')), ...readLabelledFile(path.join(data, 'smsa/valid_preprocess.tsv'))].filter((r) => r.text.trim() !== '');
const now = Date.now();
const reviews = Array.from({ length: N }, (_, i) => {
  const r = rowToReview({ ...rows[i % rows.length]!, index: i }, { appId: 'bench', source: 'bench', startMs: now - N, spacingMs: 1, now });
  return { ...r, review_id: `${prefix}b-${i}` };
});

const modelDir = await ensureDefaultModel({ log: console.log });
const running = await runProcessors(
  [],
  { ...process.env, CHDB_PATH: freshDir('bench-e2e'), ULASAN_TOPIC_PREFIX: prefix, SCORING_GROUP: `${prefix}scoring`, SCORING_MODEL_DIR: modelDir, SCORING_SHADOW_SAMPLE: '0', LOG_LEVEL: 'warn' },
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
      if (!rawStart) rawStart = performance.now();
      seen += batch.messages.length;
      if (seen >= N) resolve();
    },
  });
});
t = performance.now();
await rawDone;
const rawSecs = (performance.now() - t) / 1000;
await raw.disconnect();
const rawRate = N / rawSecs;

// End to end: a fresh scorer on the same topic and ClickHouse.
const { scoring } = await import('../processors/scoring/main.js');
t = performance.now();
const handle = await scoring.start(ctx);
const db = ctx.store.database;
for (;;) {
  const [c] = await ctx.store.query<{ n: string }>(`SELECT count() AS n FROM ${db}.predictions FINAL`);
  if (Number(c!.n) >= N) break;
  await new Promise((r) => setTimeout(r, 200));
}
const e2eSecs = (performance.now() - t) / 1000;
const e2eRate = N / e2eSecs;
await handle.stop();
await running.stop();
await ctx.kafka.deleteTopics(Object.values(ctx.topics)).catch(() => undefined);

console.log(`\n${N} reviews (real texts), 6 partitions, compact model ${modelDir}`);
console.table([
  { stage: 'produce (idempotent, acks=all)', 'reviews/s': Math.round(produceRate) },
  { stage: 'raw consume (bare kafkajs eachBatch)', 'reviews/s': Math.round(rawRate), seconds: rawSecs.toFixed(2) },
  { stage: 'end to end: consume -> score -> ClickHouse + scored topic', 'reviews/s': Math.round(e2eRate), seconds: e2eSecs.toFixed(2) },
]);
console.log(`ratio end-to-end / raw consume = ${(e2eRate / rawRate).toFixed(2)} (target >= 0.5)`);
process.exit(0);
