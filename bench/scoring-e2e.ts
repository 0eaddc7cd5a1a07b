// End-to-end scoring rate vs the raw consume rate of the same topic, in one run.
//   npm run stack:up && npm run bench:scoring [-- --reviews 100000] [--profile]
// --profile samples the main thread during the e2e window and prints its top functions by self time.
// --clickhouse sink: the scorer inserts over HTTP into a child process that stores nothing
// (bench/lib/clickhouse-sink.ts), so the process CPU holds the scorer's own side of the inserts and
// not a database engine's, as with a ClickHouse server elsewhere; the default is embedded chdb.
// 1. produce N real reviews (app-reviews + SmSA, cycled, unique ids) to a fresh topic;
// 2. raw: a bare kafkajs consumer (same adapter, eachBatch, no decoding) reads all N;
// 3. e2e: the scoring processor (in this process, embedded chdb) consumes the same topic from the
//    start: decode, validate, features, compact model, ClickHouse inserts, transactional produce of
//    ScoredReviews + offsets, until N predictions are in `predictions FINAL`.
// Both rates are timed the same way: from the first batch handed to the code to the last record
// done (joining the group, loading the model and opening producers are reported apart, as start-up).
// Env passes through, so SCORING_CONCURRENCY=1 npm run bench:scoring compares settings.
import { fork } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { Prediction } from '../models/core/engine.js';
import type { Review } from '../schemas/types.generated.js';
import { computeFeatures } from '../models/features/features.js';
import { defaultTagger } from '../models/topics/tagger.js';
import { produceReviews } from '../processors/producer/main.js';
import { scoredMessageOf } from '../processors/scoring/handler.js';
import { boundAppVersion } from '../processors/kit/app-version.js';
import { chunkBySize } from '../platform/kafka/kafka.js';
import type { Message } from '../platform/kafka/kafka.js';
import { runProcessors } from '../app/runner.js';
import { ensureDefaultModel } from '../scripts/model-build.js';
import { freshDir, uniquePrefix } from '../test/helpers.js';
import { cpuMicros, machine, MAIN_THREAD, threadCpuByName, threadCpuDelta, writeResult } from './lib/report.js';
import { MainThreadProfiler, selfTimes, type Profile } from './lib/profile.js';
import { requireStack } from './lib/stack.js';
import { benchReviews } from './lib/reviews.js';

const host = machine();
await requireStack();

const { values } = parseArgs({
  options: {
    reviews: { type: 'string', default: '200000' },
    profile: { type: 'boolean', default: false },
    clickhouse: { type: 'string', default: 'chdb' },
  },
});
const N = Number(values.reviews);
const prefix = uniquePrefix();
const now = Date.now();
// Not kept past the produce: a scorer holds one batch, and N reviews alive in this process would make
// every major GC of the e2e window mark them (the ceiling rebuilds the same reviews afterwards).
let reviews: Review[] | null = benchReviews(N, `${prefix}b-`);

const modelDir = await ensureDefaultModel({ log: console.log });
if (!['chdb', 'sink'].includes(values.clickhouse)) throw new Error('--clickhouse is chdb or sink');
const sink = values.clickhouse === 'sink' ? await startSink() : null;
const chdbDir = freshDir('bench-e2e');
const running = await runProcessors(
  [],
  {
    ...process.env,
    CHDB_PATH: chdbDir,
    ...(sink ? { CLICKHOUSE_URL: sink.url } : {}),
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
reviews = null;
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
let e2eCpu0 = process.cpuUsage();
let threads0 = threadCpuByName();
const profiler = values.profile ? new MainThreadProfiler() : null;
while (!e2eStart) {
  if ((await consumed()) > 0) {
    e2eStart = performance.now();
    e2eCpu0 = process.cpuUsage();
    threads0 = threadCpuByName();
    await profiler?.start();
  } else await new Promise((r) => setTimeout(r, 5));
}
const startupSecs = (e2eStart - t) / 1000;
// Done when N reviews are committed (the scored counter moves after each transaction's commit);
// watched through the counter so that the CPU window holds the scorer's work, not the watching.
const scoredSoFar = async (): Promise<number> =>
  (await ctx.metrics.getSingleMetric('ulasan_scoring_scored_total')?.get())?.values.reduce((a, v) => a + v.value, 0) ??
  0;
while ((await scoredSoFar()) < N) await new Promise((r) => setTimeout(r, 20));
const e2eSecs = (performance.now() - e2eStart) / 1000;
const e2eCpuUs = cpuMicros(e2eCpu0);
const byThread = threadCpuDelta(threads0, threadCpuByName(), N);
const mainThreadUs = byThread.find((t) => t.thread === MAIN_THREAD)?.['µs/review'] ?? null;
const profile: Profile | null = profiler ? await profiler.stopRaw() : null;
const e2eRate = N / e2eSecs;
const db = ctx.store.database;
for (; !sink;) {
  const [c] = await ctx.store.query<{ n: string }>(`SELECT count() AS n FROM ${db}.predictions FINAL`);
  if (Number(c!.n) >= N) break;
  await new Promise((r) => setTimeout(r, 100));
}
const stageSums = async (metric: string): Promise<Map<string, number>> =>
  new Map(
    (await ctx.metrics.getSingleMetric(metric)!.get()).values
      .filter((v) => (v as { metricName?: string }).metricName === `${metric}_sum`)
      .map((v) => [String(v.labels.stage), (v.value * 1e6) / N]),
  );
const wallUs = await stageSums('ulasan_scoring_stage_seconds');
const cpuUs = await stageSums('ulasan_scoring_stage_cpu_seconds');
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
const encoded: Message[] = benchReviews(N, `${prefix}b-`).map((r, i) => {
  const f = computeFeatures(r.text);
  const topics = defaultTagger().tagClean(f.clean_text);
  const input = { review: r, prediction: pred, probs, features: f, partition: 0, offset: String(i), topics };
  const msg = scoredMessageOf({ ...input, textHash: '', appVersion: boundAppVersion(r.app_version) }, now, false);
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
const ceilingCpu0 = process.cpuUsage();
for (let i = 0; i < N; i += 5000) {
  const tx = await txProducer.transaction();
  for (const messages of chunkBySize(encoded.slice(i, i + 5000), 512 * 1024))
    await tx.send({ topic: scratch, messages });
  await tx.commit();
}
const ceilingRate = N / ((performance.now() - t) / 1000);
const ceilingCpuPerReview = cpuMicros(ceilingCpu0) / N;
await txProducer.disconnect();
await ctx.kafka.deleteTopics([scratch]).catch(() => undefined);
await running.stop();
rmSync(chdbDir, { recursive: true, force: true });
const sinkRows = sink ? await sink.rows() : null;
sink?.stop();
await ctx.kafka.deleteTopics(Object.values(ctx.topics)).catch(() => undefined);

// consume (kafkajs fetch, decompression, the group's heartbeats) runs outside the scorer's stage
// windows: it is what the process spent in the e2e window beyond the sequential stages.
const SEQUENTIAL = ['triage', 'features', 'topics', 'inference', 'rows', 'encode', 'write', 'commit'];
const inStages = SEQUENTIAL.reduce((a, k) => a + (cpuUs.get(k) ?? 0), 0);
const inferenceUs = cpuUs.get('inference') ?? 0;
const nonModelUs = e2eCpuUs / N - inferenceUs;
const STAGE_NAMES: Record<string, string> = {
  consume: 'consume (fetch; outside the stages)',
  triage: 'decode + triage (incl. known-ids query)',
  features: 'features',
  topics: 'topics',
  inference: 'inference (compact model)',
  rows: 'row building',
  encode: 'produce: Avro encode of ScoredReviews',
  clickhouse: 'ClickHouse insert (overlaps kafka_send)',
  kafka_send: 'produce: tx.send (overlaps clickhouse)',
  write: 'ClickHouse insert + send, one window',
  commit: 'commit (offsets + tx commit)',
};
const stageTable = [
  'consume',
  'triage',
  'features',
  'topics',
  'inference',
  'rows',
  'encode',
  'clickhouse',
  'kafka_send',
  'write',
  'commit',
].map((k) => ({
  stage: STAGE_NAMES[k]!,
  cpu_us: Number((k === 'consume' ? Math.max(0, e2eCpuUs / N - inStages) : (cpuUs.get(k) ?? 0)).toFixed(2)),
  wall_us: k === 'consume' ? null : wallUs.has(k) ? Number(wallUs.get(k)!.toFixed(2)) : null,
}));
const ATTRIBUTION =
  'CPU = process.cpuUsage() deltas (user+system, all threads) around each stage; one batch at a time, so ' +
  'sequential stages own their window (plus background kafkajs fetch/GC). clickhouse and kafka_send overlap: ' +
  'each window holds the other\'s CPU; "write" is the one window around both. non-model = e2e CPU / N - inference.';
const setting = (k: string, d: string): string => `${k}=${process.env[k] ?? d}`;
console.log(`\n${N} reviews (real texts), 6 partitions, compact model ${modelDir}`);
console.log(
  sink
    ? `ClickHouse: HTTP to a sink that stores nothing (rows it received: ${JSON.stringify(sinkRows)})`
    : 'ClickHouse: embedded chdb (its engine threads are in the process CPU)',
);
console.log(
  `scorer: ${setting('SCORING_MAX_BATCH_BYTES', '1048576 (default)')} ` +
    `${setting('SCORING_INTRA_OP_THREADS', '1 (default)')}; ` +
    `start-up (model, producer, group join) ${startupSecs.toFixed(2)} s, not in the rate`,
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
console.log('scorer stages, per review: process CPU and wall time (topics: the complaint tagger):');
console.table(stageTable.map((r) => ({ stage: r.stage, 'cpu µs': r.cpu_us, 'wall µs': r.wall_us ?? '' })));
console.log(ATTRIBUTION);
console.log(
  `ratio end-to-end / ceiling (transactional produce only) = ${(e2eRate / ceilingRate).toFixed(2)} (target >= 0.5)`,
);
console.log(
  `ratio end-to-end / raw consume = ${(e2eRate / rawRate).toFixed(2)}; ` +
    `ceiling / raw consume = ${(ceilingRate / rawRate).toFixed(2)} (what the scored topic's writes alone allow)`,
);
if (mainThreadUs !== null)
  console.log(
    `threads: main (JavaScript) ${mainThreadUs.toFixed(1)} µs/review, ` +
      `other threads (chdb, V8's GC and compiler helpers) ${(e2eCpuUs / N - mainThreadUs).toFixed(1)}`,
  );
if (byThread.length) {
  // chdb names its pools (ThreadPool, MergeMutate, BgSchPool...); threads left unnamed read "node": V8's
  // platform workers (concurrent marking, background compilation) and libuv's pool, where chdb's calls run.
  console.log('CPU by thread (Linux thread names):');
  console.table(byThread);
}
const hot = profile
  ? selfTimes(profile, 30).map((h) => ({ fn: h.fn, 'µs/review': Number((h.us / N).toFixed(2)) }))
  : [];
if (profile) {
  if (process.env.BENCH_PROFILE_OUT) writeFileSync(process.env.BENCH_PROFILE_OUT, JSON.stringify(profile));
  console.log('main thread, top functions by self time (sampled at 1 ms; the profiler costs a little):');
  console.table(hot);
}
const file = writeResult('scoring', {
  bench: 'bench:scoring',
  reviews: N,
  clickhouse: sink ? 'http sink (bench/lib/clickhouse-sink.ts)' : 'embedded chdb',
  machine: host,
  settings: {
    ...Object.fromEntries(
      ['SCORING_MAX_BATCH_BYTES', 'SCORING_INTRA_OP_THREADS'].map((k) => [k, process.env[k] ?? null]),
    ),
  },
  rates: { produce: produceRate, raw_consume: rawRate, e2e: e2eRate, ceiling: ceilingRate },
  e2e_over_ceiling: e2eRate / ceilingRate,
  cpu_us_per_review: {
    e2e_total: e2eCpuUs / N,
    inference: inferenceUs,
    scorer_non_model: nonModelUs,
    scorer_non_model_minus_ceiling: nonModelUs - ceilingCpuPerReview,
    ceiling: ceilingCpuPerReview,
    main_thread: mainThreadUs,
    other_threads: mainThreadUs === null ? null : e2eCpuUs / N - mainThreadUs,
  },
  stages: stageTable,
  cpu_by_thread: byThread,
  ...(profile ? { main_thread_top_functions: hot } : {}),
  attribution: ATTRIBUTION,
});
console.log(`results: ${path.relative(process.cwd(), file)}`);
console.log(`e2e rate: ${Math.round(e2eRate)} reviews/s; ceiling rate: ${Math.round(ceilingRate)} reviews/s`);
console.log(`scorer CPU (all of it, model included): ${(e2eCpuUs / N).toFixed(1)} µs/review`);
// The scorer sends the very ScoredReviews the ceiling sends, so its non-model figure holds the
// ceiling's own cost; what is left is the scorer's own work (consume, triage, features, rows, chdb).
console.log(
  `scorer non-model CPU minus the ceiling's Kafka cost: ${(nonModelUs - ceilingCpuPerReview).toFixed(1)} µs/review`,
);
console.log(`scorer non-model CPU: ${nonModelUs.toFixed(1)} µs/review`);
console.log(`ceiling cost: ${ceilingCpuPerReview.toFixed(1)} µs/review`);
console.log(`e2e/ceiling: ${(e2eRate / ceilingRate).toFixed(3)}`);
process.exit(0);

async function startSink(): Promise<{ url: string; rows: () => Promise<unknown>; stop: () => void }> {
  const child = fork(path.join(import.meta.dirname, 'lib', 'clickhouse-sink.ts'), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the ClickHouse sink exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    rows: async () => (await fetch(`${url}/__sink/rows`)).json(),
    stop: () => child.kill(),
  };
}
