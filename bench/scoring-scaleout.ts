// Scale-out: 1 vs 2 scoring processes in one consumer group on the same 6-partition topic.
//   npm run stack:up && npm run bench:scaleout [-- --reviews 60000]
// Each process owns its own embedded chdb directory (chdb locks a directory to one process; with a
// ClickHouse server they would share one database), so the measurement is of the consume -> score
// -> insert -> transactional produce path itself. Progress is read from the group's committed
// offsets, which the scorer commits inside its transactions.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { produceReviews } from '../processors/producer/main.js';
import { rowToReview } from '../processors/producer/handler.js';
import { PROJECT_ROOT, parseConfig, processSasl } from '../platform/config.js';
import { readLabelledFile } from '../platform/datasets.js';
import { createKafka } from '../platform/kafka/kafka.js';
import { AvroSerde } from '../platform/serde/serde.js';
import { allTopics, topicNames } from '../platform/kafka/topics.js';
import { ensureDefaultModel } from '../scripts/model-build.js';
import { freshDir, uniquePrefix } from '../test/helpers.js';
import { requireStack } from './lib/stack.js';

await requireStack();

const { values } = parseArgs({ options: { reviews: { type: 'string', default: '60000' } } });
const N = Number(values.reviews);
const config = parseConfig({});
const data = config.ULASAN_DATA_DIR;
const rows = [
  ...readLabelledFile(path.join(data, 'app-reviews/train.csv')),
  ...readLabelledFile(path.join(data, 'smsa/valid_preprocess.tsv')),
].filter((r) => r.text.trim() !== '');
const modelDir = await ensureDefaultModel({ log: console.log });
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'bench-scaleout', sasl: processSasl(config) });
const serde = new AvroSerde(config.SCHEMA_REGISTRY_URL);

async function committed(group: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offs = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  await admin.disconnect();
  return offs[0]!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
}

async function run(instances: number): Promise<number> {
  const prefix = uniquePrefix();
  const topics = topicNames(prefix);
  await kafka.ensureTopics(allTopics(prefix));
  await serde.registerAll(allTopics(prefix));
  const now = Date.now();
  const reviews = Array.from({ length: N }, (_, i) => ({
    ...rowToReview(
      { ...rows[i % rows.length]!, index: i },
      { appId: 'bench', source: 'bench', startMs: now - N, spacingMs: 1, now },
    ),
    review_id: `${prefix}s-${i}`,
  }));
  const group = `${prefix}scoring`;
  const children: ChildProcess[] = [];
  for (let i = 0; i < instances; i++) {
    children.push(
      spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'app/runner.ts'), 'scoring'], {
        cwd: PROJECT_ROOT,
        stdio: 'ignore',
        env: {
          ...process.env,
          CHDB_PATH: freshDir(`scaleout-${i}`),
          ULASAN_TOPIC_PREFIX: prefix,
          SCORING_GROUP: group,
          SCORING_MODEL_DIR: modelDir,
          SCORING_INSTANCE_ID: `bench-${i}`,
          SCORING_SHADOW_SAMPLE: '0',
          METRICS_PORT: '0',
          LOG_LEVEL: 'warn',
        },
      }),
    );
  }
  // Steady state: wait until every instance has joined and the group is stable, then produce.
  const admin = kafka.admin();
  await admin.connect();
  for (;;) {
    const g = (await admin.describeGroups([group])).groups[0]!;
    if (g.state === 'Stable' && g.members.length === instances) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await admin.disconnect();
  const t0 = performance.now();
  await produceReviews(kafka, serde, topics.reviews, reviews, { batchSize: 2000 });
  while ((await committed(group, topics.reviews)) < N) await new Promise((r) => setTimeout(r, 100));
  const secs = (performance.now() - t0) / 1000;
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
  await kafka.deleteTopics(Object.values(topics)).catch(() => undefined);
  return secs;
}

const one = await run(1);
const two = await run(2);
console.log(
  `\n${N} reviews, 6 partitions; timed from the first produce (group already stable) to the last committed offset`,
);
console.table([
  { instances: 1, seconds: one.toFixed(1), 'reviews/s': Math.round(N / one) },
  { instances: 2, seconds: two.toFixed(1), 'reviews/s': Math.round(N / two) },
]);
console.log(`speed-up 2 vs 1 instance: ${(one / two).toFixed(2)}x on ${(await import('node:os')).cpus().length} cores`);
process.exit(0);
