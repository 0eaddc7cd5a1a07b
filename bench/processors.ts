// CPU per record of the review-store, drift and alerts processors, stage by stage, from one run each.
//   npm run stack:up && npm run bench:processors [-- --records 20000] [--processor review-store]
// For each processor: N records on a fresh input topic (reviews for the review store, ScoredReviews
// for drift and alerts, encoded as the scorer writes them), then the processor alone in this process
// (embedded chdb) consumes them from the start. Timed from its first consumed record until its own
// counter says N were handled; CPU = process.cpuUsage() over that window / N (every thread). The
// stages come from a sampling profile of the main thread over the same window (bench/lib/profile.ts:
// each sample goes to the innermost frame a stage claims); "other threads" is the process CPU the
// main thread's samples do not account for (chdb's engine, libuv, GC helpers). The profiler's own
// cost is in the figures (a 1 ms sampling interval; a few per cent).
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { runProcessors, type Running } from '../app/runner.js';
import { freshDir, ROOT, uniquePrefix } from '../test/helpers.js';
import { cpuMicros, machine, mainThreadCpuMicros, writeResult } from './lib/report.js';
import { requireStack } from './lib/stack.js';
import { MainThreadProfiler, type StageRule } from './lib/profile.js';

const host = machine();
await requireStack();
const { values } = parseArgs({
  options: { records: { type: 'string', default: '20000' }, processor: { type: 'string', default: 'all' } },
});
const N = Number(values.records);

/** Stages every processor shares; each processor adds its own logic's files in front. */
const COMMON: StageRule[] = [
  { stage: 'ClickHouse (insert, queries; JS side)', urls: ['platform/clickhouse/', 'node_modules/chdb/'] },
  { stage: 'decode (registry serde, avsc, guard)', urls: ['platform/serde/', 'node_modules/avsc/'] },
  {
    stage: 'triage (validate, identity, dead letters)',
    urls: ['processors/kit/triage', 'processors/kit/review', 'processors/kit/dead-letter'],
  },
  {
    stage: 'Kafka consume (fetch, record batches, commits)',
    urls: ['kafkajs/src/consumer', 'kafkajs/src/protocol/requests/fetch', 'kafkajs/src/protocol/requests/offset'],
  },
  { stage: 'Kafka produce', urls: ['kafkajs/src/producer', 'kafkajs/src/protocol/requests/produce'] },
  { stage: 'Kafka other (network, protocol)', urls: ['node_modules/kafkajs/'] },
  { stage: 'metrics (prom-client)', urls: ['node_modules/prom-client/'] },
  { stage: 'logging', urls: ['node_modules/pino'] },
  { stage: 'node internals (buffers, timers, promises)', urls: ['node:'] },
];

interface Target {
  name: string;
  input: 'reviews' | 'scored';
  /** The processor's own counters that reach N once every record is handled. */
  counters: string[];
  rules: StageRule[];
}

const TARGETS: Target[] = [
  {
    name: 'review-store',
    input: 'reviews',
    counters: ['ulasan_review_store_stored_total', 'ulasan_review_store_dead_lettered_total'],
    rules: [
      {
        stage: 'row building',
        urls: ['processors/review-store/handler', 'processors/kit/app-version', 'platform/time'],
      },
      { stage: 'review-store batch loop', urls: ['processors/review-store/'] },
    ],
  },
  {
    name: 'drift',
    input: 'scored',
    counters: ['ulasan_drift_records_total'],
    rules: [
      { stage: 'drift tests (closed windows)', urls: ['processors/drift/detector', 'processors/drift/stats'] },
      {
        stage: 'window summaries (sketches, counts)',
        urls: ['processors/drift/summary', 'processors/drift/windows', 'processors/drift/segments', '@datadog/'],
      },
      { stage: 'records -> monitored (handler)', urls: ['processors/drift/handler', 'models/features/monitored'] },
      { stage: 'drift batch loop, references', urls: ['processors/drift/'] },
    ],
  },
  {
    name: 'alerts',
    input: 'scored',
    counters: ['ulasan_alerts_records_total', 'ulasan_alerts_skipped_records_total'],
    rules: [
      {
        stage: 'detector (buckets, stats)',
        urls: ['processors/alerts/detector', 'processors/alerts/buckets', 'processors/alerts/stats'],
      },
      { stage: 'watermark', urls: ['processors/alerts/watermark'] },
      { stage: 'alert changes (rows, reasons, notify)', urls: ['processors/alerts/'] },
    ],
  },
];

/** Fills the input topic from a child process (bench/lib/fill.ts): its CPU is not the processor's. */
function fill(env: NodeJS.ProcessEnv, t: Target, idPrefix: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/fill.ts', t.input, String(N), idPrefix], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fill exited with ${code}`)))),
  );
}

const counted = async (running: Running, names: string[]): Promise<number> => {
  let sum = 0;
  for (const n of names) {
    const metric = running.ctx.metrics.getSingleMetric(n);
    if (metric) sum += (await metric.get()).values.reduce((a, v) => a + v.value, 0);
  }
  return sum;
};

/** The processor's consumed/handled count: the first non-zero reading starts the window. */
async function waitFor(running: Running, names: string[], atLeast: number, pollMs: number): Promise<void> {
  while ((await counted(running, names)) < atLeast) await new Promise((r) => setTimeout(r, pollMs));
}

async function benchOne(t: Target) {
  const prefix = uniquePrefix();
  const chdbDir = freshDir(`bench-${t.name}`);
  const env = {
    ...process.env,
    CHDB_PATH: chdbDir,
    ULASAN_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    REVIEW_STORE_GROUP: `${prefix}rs`,
    DRIFT_GROUP: `${prefix}drift`,
    ALERTS_GROUP: `${prefix}alerts`,
  };
  // The processor first, on its empty input (it joins its group meanwhile), then the records.
  let t0 = performance.now();
  const running = await runProcessors([t.name], env, { opsServer: false });
  const startupSecs = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const fillDir = freshDir(`bench-fill-${t.name}`); // chdb locks a directory per process
  const filled = fill({ ...env, CHDB_PATH: fillDir }, t, `${prefix}${t.name}-`);
  await waitFor(running, t.counters, 1, 2);
  const profiler = new MainThreadProfiler();
  await profiler.start();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMicros() ?? 0;
  const w0 = performance.now();
  await waitFor(running, t.counters, N, 20);
  const secs = (performance.now() - w0) / 1000;
  const cpuUs = cpuMicros(cpu0);
  const mainUs = (mainThreadCpuMicros() ?? 0) - main0;
  const samples = await profiler.stop([...t.rules, ...COMMON]);
  await filled;
  const fillSecs = (performance.now() - t0) / 1000;
  await running.stop();
  await running.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
  for (const dir of [chdbDir, fillDir]) rmSync(dir, { recursive: true, force: true });
  return {
    processor: t.name,
    input: t.input,
    fill_seconds: fillSecs,
    startup_seconds: startupSecs,
    rate: N / secs,
    cpu_us_per_record: cpuUs / N,
    main_thread_cpu_us_per_record: mainUs / N,
    stages: stageTable(samples, cpuUs, mainUs),
  };
}

/**
 * The main thread's CPU split by its samples' shares (samples are wall time: on a loaded machine a
 * descheduled thread still collects them, so only their proportions are used), and the rest of the
 * process CPU as "other threads".
 */
function stageTable(samples: Map<string, number>, cpuUs: number, mainUs: number) {
  const busy = samples.get('main thread busy') ?? 0;
  samples.delete('main thread busy');
  const table = [...samples]
    .sort((a, b) => b[1] - a[1])
    .map(([stage, us]) => ({ stage, cpu_us: Number(((mainUs * (us / busy)) / N).toFixed(2)) }));
  table.push({
    stage: 'other threads (chdb engine, libuv, GC helpers)',
    cpu_us: Number((Math.max(0, cpuUs - mainUs) / N).toFixed(2)),
  });
  return table;
}

const chosen = values.processor === 'all' ? TARGETS : TARGETS.filter((t) => t.name === values.processor);
if (chosen.length === 0) {
  console.error(`unknown --processor ${values.processor}; one of: all, ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
const results = [];
for (const t of chosen) {
  const r = await benchOne(t);
  results.push(r);
  console.log(
    `\n${t.name}: ${N} ${t.input} records, ${Math.round(r.rate)} records/s (bounded by the fill's produce ` +
      `rate when the processor keeps up), ${r.cpu_us_per_record.toFixed(1)} µs CPU/record ` +
      `(main thread ${r.main_thread_cpu_us_per_record.toFixed(1)}); ` +
      `start-up ${r.startup_seconds.toFixed(1)} s, not counted`,
  );
  console.table(r.stages.map((s) => ({ stage: s.stage, 'cpu µs / record': s.cpu_us })));
}
const file = writeResult('processors', { bench: 'bench:processors', records: N, machine: host, results });
console.log(`results: ${path.relative(process.cwd(), file)}`);
for (const r of results)
  console.log(`${r.processor} CPU: ${r.cpu_us_per_record.toFixed(1)} µs/record; rate ${Math.round(r.rate)} records/s`);
process.exit(0);
