// npm run replay's throughput: reviews/s and process CPU µs per review of runReplay (the backtest)
// through a given model package, over a fresh topic of N real reviews.
//   npx tsx bench/replay-throughput.ts [--reviews 100000] [--model <package dir>]
// Timed: runReplay alone (read the range, score, write backtest_predictions, the comparison report);
// producing the topic beforehand is not in the figure. Stages: runReplay's onStage reports the
// process CPU (user + system, every thread) of each stage of each batch; the replay handles one batch
// at a time, so a stage owns its window (plus background kafkajs fetching and GC that lands in it).
// "read" is the process CPU of the whole call outside the stages: kafkajs fetching and parsing record
// batches, the group join, the offset lookups.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { produceReviews } from '../processors/producer/main.js';
import { parseBound, REPLAY_STAGES, runReplay, type ReplayStage } from '../processors/replay/replay.js';
import { runProcessors } from '../app/runner.js';
import { ensureDefaultModel } from '../scripts/model-build.js';
import { freshDir, uniquePrefix } from '../test/helpers.js';
import { cpuMicros, machine, writeResult } from './lib/report.js';
import { requireStack } from './lib/stack.js';
import { benchReviews } from './lib/reviews.js';

const host = machine();
await requireStack();
const { values } = parseArgs({
  options: { reviews: { type: 'string', default: '100000' }, model: { type: 'string' } },
});
const N = Number(values.reviews);
const prefix = uniquePrefix();
const reviews = benchReviews(N, `${prefix}r-`);
const modelDir = values.model ?? (await ensureDefaultModel({ log: console.log }));
const chdbDir = freshDir('bench-replay');
const stateDir = freshDir('bench-replay-state');
const running = await runProcessors(
  [],
  { ...process.env, CHDB_PATH: chdbDir, ULASAN_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' },
  { opsServer: false },
);
const { ctx } = running;
await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, reviews, { batchSize: 2000 });

const stageCpu = new Map<ReplayStage, number>(REPLAY_STAGES.map((s) => [s, 0]));
const t = performance.now();
const cpu0 = process.cpuUsage();
const report = await runReplay(ctx, {
  topic: ctx.topics.reviews,
  from: parseBound('0'),
  to: parseBound(String(Number.MAX_SAFE_INTEGER)),
  modelDir,
  stateDir,
  onStage: (stage, us) => stageCpu.set(stage, stageCpu.get(stage)! + us),
});
const secs = (performance.now() - t) / 1000;
const cpuPerReview = cpuMicros(cpu0) / N;
const STAGE_NAMES: Record<ReplayStage | 'read', string> = {
  read: 'read (kafkajs fetch + parse, group join, offsets; outside the stages)',
  load: 'model load (once)',
  decode: 'decode + validate (registry serde, avsc)',
  features: "features: the model's clean text",
  inference: 'inference (tokenize, names mask, model)',
  rows: 'row building (backtest_predictions columns)',
  insert: 'ClickHouse insert',
  progress: 'progress (state file per batch)',
  report: 'report (production + feedback topics, query, compare)',
};
const inStages = [...stageCpu.values()].reduce((a, b) => a + b, 0);
const stages = (['read', ...REPLAY_STAGES] as const).map((k) => ({
  stage: STAGE_NAMES[k],
  cpu_us: Number(((k === 'read' ? Math.max(0, cpuPerReview * N - inStages) : stageCpu.get(k)!) / N).toFixed(2)),
}));
const nonModel = cpuPerReview - stageCpu.get('inference')! / N;
await running.stop();
await ctx.kafka.deleteTopics(Object.values(ctx.topics)).catch(() => undefined);
rmSync(chdbDir, { recursive: true, force: true });
rmSync(stateDir, { recursive: true, force: true });

const rate = N / secs;
const file = writeResult('replay', {
  bench: 'bench/replay-throughput.ts',
  reviews: N,
  replayed: report.replayed,
  model: modelDir,
  model_version: report.model_version,
  machine: host,
  seconds: secs,
  reviews_per_s: rate,
  cpu_us_per_review: cpuPerReview,
  non_model_cpu_us_per_review: nonModel,
  stages,
});
console.table(stages.map((r) => ({ stage: r.stage, 'cpu µs / review': r.cpu_us })));
console.log(`results: ${path.relative(process.cwd(), file)}`);
console.log(`replayed ${report.replayed} of ${N} reviews through ${report.model_version} in ${secs.toFixed(2)} s`);
console.log(`replay rate: ${Math.round(rate)} reviews/s`);
console.log(`replay non-model CPU: ${nonModel.toFixed(1)} µs/review`);
console.log(`replay CPU: ${cpuPerReview.toFixed(1)} µs/review`);
process.exit(0);
