// Fault test: while 50,000 reviews flow, the scorer (its own process) is killed with SIGKILL three
// times at random points and restarted, and the Kafka broker is restarted once. End state: every
// review is in `predictions FINAL` exactly once, none missing, and exactly once on the scored topic
// for read_committed readers. Runs on a private Kafka so the broker restart touches no other test.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceReviews } from '../../processors/producer/main.js';
import { openStore } from '../../platform/clickhouse/open.js';
import { createKafka } from '../../platform/kafka/kafka.js';
import { AvroSerde } from '../../platform/serde/serde.js';
import { allTopics, topicNames } from '../../platform/kafka/topics.js';
import { rng } from '../../models/trainer/fasttext.js';
import type { Review, ScoredReview } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { exited } from '../../scripts/soak/faults.js';
import { downService, upService } from '../../stack/stack.js';
import {
  ROOT,
  freshDir,
  privateKafkaLayout,
  stackAddresses,
  uniquePrefix,
  waitFor,
  withoutStackIdentity,
} from '../helpers.js';

const TOTAL = 50_000;
const prefix = uniquePrefix();
const chdbPath = freshDir('faults-chdb');
const { registryUrl } = stackAddresses();

// A private broker: same jars as the main stack, own directory and ports.
const layout = privateKafkaLayout('faults-stack', 29092);
const brokers = [`127.0.0.1:${layout.ports.kafka}`];
const kafka = createKafka({ brokers, clientId: 'fault-test' });
const topics = topicNames(prefix);

let scorer: ChildProcess | null = null;
let modelDir = '';
const log: string[] = [];

function startScorer(): ChildProcess {
  // node --import tsx, not the tsx binary: the binary runs the script in a child process, and a
  // SIGKILL to the wrapper would leave the real scorer running.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'app/runner.ts'), 'scoring'], {
    env: {
      ...withoutStackIdentity(),
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: chdbPath,
      ULASAN_TOPIC_PREFIX: prefix,
      SCORING_GROUP: `${prefix}scoring`,
      SCORING_MODEL_DIR: modelDir,
      SCORING_INSTANCE_ID: 'fault-test',
      SCORING_SESSION_TIMEOUT_MS: '10000',
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: ROOT,
  });
  child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  return child;
}

beforeAll(async () => {
  modelDir = await ensureDefaultModel();
  await upService(layout, 'kafka');
  await kafka.ensureTopics(allTopics(prefix));
}, 180_000);

afterAll(async () => {
  if (scorer) {
    scorer.kill('SIGKILL');
    await exited(scorer);
  }
  await downService(layout, 'kafka');
});

describe('scoring under faults', () => {
  it('scores every review exactly once across 3 SIGKILLs and a broker restart', { timeout: 600_000 }, async () => {
    const serde = new AvroSerde(registryUrl);
    await serde.registerAll(allTopics(prefix));
    const now = Date.now();
    const texts = [
      'aplikasinya bagus sekali',
      'sering error tidak bisa login',
      'biasa saja',
      'pengiriman cepat mantap',
    ];
    const reviews: Review[] = Array.from({ length: TOTAL }, (_, i) => ({
      review_id: `${prefix}f-${i}`,
      app_id: 'id.co.blibli',
      source: 'google_play',
      text: `${texts[i % 4]} ${i}`,
      rating: (i % 5) + 1,
      lang: 'id',
      author_hash: null,
      created_at: now - 3_600_000 + i,
      ingested_at: now,
    }));

    scorer = startScorer();
    const random = rng(20261128);
    // Fault schedule, as fractions of the produced stream: three kills and one broker restart.
    const faults = [
      { at: 0.1 + random() * 0.15, kind: 'kill' },
      { at: 0.3 + random() * 0.1, kind: 'broker' },
      { at: 0.5 + random() * 0.15, kind: 'kill' },
      { at: 0.75 + random() * 0.15, kind: 'kill' },
    ];
    let next = 0;
    let kills = 0;
    let brokerRestarts = 0;
    const chunk = 1000;
    for (let i = 0; i < TOTAL; i += chunk) {
      await produceReviews(kafka, serde, topics.reviews, reviews.slice(i, i + chunk), { rate: 12_000 });
      const fault = faults[next];
      if (fault && i / TOTAL >= fault.at) {
        next += 1;
        if (fault.kind === 'kill') {
          // Let the scorer get into the middle of something, then kill it without warning.
          await new Promise((r) => setTimeout(r, Math.floor(random() * 1500)));
          scorer.kill('SIGKILL');
          await exited(scorer);
          kills += 1;
          scorer = startScorer();
        } else {
          await downService(layout, 'kafka');
          await upService(layout, 'kafka');
          brokerRestarts += 1;
        }
      }
    }
    expect(kills).toBe(3);
    expect(brokerRestarts).toBe(1);

    // Everything is on the scored topic once the scorer has caught up (read_committed).
    const seen = new Map<string, number>();
    let records = 0;
    const reader = kafka.consumer({ groupId: `${prefix}reader` });
    await reader.connect();
    await reader.subscribe({ topic: topics.scored, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const v = (await serde.decode<ScoredReview>(message.value)).value;
        records += 1;
        seen.set(v.review_id, (seen.get(v.review_id) ?? 0) + 1);
      },
    });
    try {
      await waitFor(
        async () => seen.size >= TOTAL,
        300_000,
        `${TOTAL} distinct scored reviews (scorer log tail: ${log.join('').slice(-2000)})`,
      );
      // A little longer: a duplicate, if any, would arrive after its original.
      const settleUntil = Date.now() + 3000;
      await waitFor(async () => Date.now() > settleUntil, 10_000);
    } finally {
      await reader.disconnect();
    }
    expect(seen.size).toBe(TOTAL);
    expect(records).toBe(TOTAL);

    // Stop the scorer cleanly, then read its ClickHouse data.
    scorer.kill('SIGTERM');
    await exited(scorer);
    scorer = null;
    const store = await openStore({ database: 'ulasan', chdbPath });
    try {
      const [c] = await store.query<{ n: string; u: string }>(
        `SELECT count() AS n, uniqExact(review_id) AS u FROM ulasan.predictions FINAL`,
      );
      expect(Number(c!.n)).toBe(TOTAL);
      expect(Number(c!.u)).toBe(TOTAL);
      const missing = await store.query<{ n: string }>(
        `SELECT count() AS n FROM (SELECT arrayJoin(range(${TOTAL})) AS i) WHERE concat('${prefix}f-', toString(i)) NOT IN (SELECT review_id FROM ulasan.predictions)`,
      );
      expect(Number(missing[0]!.n)).toBe(0);
      const raw = await store.query<{ n: string }>(`SELECT count() AS n FROM ulasan.predictions`);
      // Informational only: background merges may already have collapsed redelivered rows.
      console.log(
        `fault test: ${kills} kills, ${brokerRestarts} broker restart; ${raw[0]!.n} physical prediction rows for ${TOTAL} reviews (before FINAL, after merges)`,
      );
    } finally {
      await store.close();
    }
  });
});
