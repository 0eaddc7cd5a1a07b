// Fault test: a broker with SASL/SCRAM and ACLs is restarted twice while the processors (their own
// process, one Kafka identity each) score and store. The last soak found consumers stuck for good
// after such a restart: while the restarted broker still loads its coordinators it closes some
// connections in the middle of the SCRAM handshake, kafkajs reports that as a non-retriable
// KafkaJSSASLAuthenticationError, and a consumer crashing on one is never restarted (measured
// before the fix: 1 of 6 consumers per restart, so by chance only). The second restart happens with
// the scorer's group grant revoked, the same kind of non-retriable crash, so the old code fails every
// run. End state: every
// group caught up by itself, /health ok again, every review on the scored topic exactly once.
// Runs on a private Kafka (ports 29592/29593, metrics on 28591; off the other private brokers' ports and
// below Linux's ephemeral range) so the restarts touch no other test.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionKafka } from '../../app/provision.js';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  createKafka,
  ResourcePatternTypes,
} from '../../platform/kafka/kafka.js';
import { topicNames } from '../../platform/kafka/topics.js';
import { AvroSerde } from '../../platform/serde/serde.js';
import { allTopics } from '../../platform/kafka/topics.js';
import { produceReviews } from '../../processors/producer/main.js';
import type { Review } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { exited } from '../../scripts/soak/faults.js';
import { groupLags } from '../../scripts/soak/sample.js';
import { scoredOnTopic } from '../../scripts/soak/verdict.js';
import { kafkaCredentials } from '../../stack/services.js';
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

const PER_PHASE = 2000;
const PHASES = 3; // before the first restart, between the two, after the second
const PROCESSORS = ['scoring', 'review-store', 'feedback-store', 'dead-letter-store'];
const METRICS_PORT = 28591;
const prefix = uniquePrefix();
const runId = `${prefix}scram`;
const group = (processor: string): string => `ulasan-${processor}-${prefix}`;
const topics = topicNames(prefix);
const chdbPath = freshDir('scram-restart-chdb');
const { registryUrl } = stackAddresses();
// The ports the lead gave this test; they are in Linux's ephemeral range, so the layout is asked
// for them explicitly (a restart could in principle find the port taken by an outgoing socket).
const layout = privateKafkaLayout('scram-restart-stack', 29592, 'scram');
const brokers = [`127.0.0.1:${layout.ports.kafka}`];
const admin = () =>
  createKafka({ brokers, clientId: 'scram-restart-test', sasl: kafkaCredentials(layout).users['ulasan-admin'] });

let scorer: ChildProcess | null = null;
const log: string[] = [];

function startProcessors(modelDir: string): ChildProcess {
  // node --import tsx (not the tsx binary) so a kill reaches the processors themselves.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'app/runner.ts'), ...PROCESSORS], {
    env: {
      ...withoutStackIdentity(),
      KAFKA_BROKERS: brokers.join(','),
      // One identity per processor, as in production: ulasan-scoring with its ACLs only.
      KAFKA_CREDENTIALS_FILE: path.join(layout.dir, 'kafka', 'credentials.json'),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: chdbPath,
      ULASAN_TOPIC_PREFIX: prefix,
      SCORING_GROUP: group('scoring'),
      REVIEW_STORE_GROUP: group('review-store'),
      FEEDBACK_STORE_GROUP: group('feedback-store'),
      DEAD_LETTER_STORE_GROUP: group('dead-letter-store'),
      SCORING_MODEL_DIR: modelDir,
      SCORING_INSTANCE_ID: 'scram-restart',
      SCORING_SESSION_TIMEOUT_MS: '10000',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(METRICS_PORT),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: ROOT,
  });
  child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  return child;
}

function reviews(from: number, n: number): Review[] {
  const now = Date.now();
  const texts = ['aplikasinya bagus sekali', 'sering error tidak bisa login', 'biasa saja', 'mantap cepat'];
  return Array.from({ length: n }, (_, k) => ({
    review_id: `${runId}-r-${from + k}`,
    app_id: 'id.co.blibli',
    source: 'google_play',
    text: `${texts[(from + k) % 4]} ${from + k}`,
    rating: ((from + k) % 5) + 1,
    lang: 'id',
    author_hash: null,
    created_at: now - 3_600_000 + k,
    ingested_at: now,
  }));
}

/** The lag of the two groups reading reviews (0 = everything produced so far is committed). */
async function reviewLag(): Promise<number> {
  const a = admin().admin();
  await a.connect();
  try {
    const lags = await groupLags(a, {
      [group('scoring')]: [topics.reviews],
      [group('review-store')]: [topics.reviews],
    });
    return lags.reduce((sum, g) => sum + g.lag, 0);
  } finally {
    await a.disconnect();
  }
}

/**
 * Revokes the scorer's consumer-group grant. The SCRAM race above is timing-dependent, so the second
 * restart happens with the grant revoked: the scorer's rejoin is then refused non-retriably
 * (GROUP_AUTHORIZATION_FAILED), the same kind of crash kafkajs never restarts, every run.
 */
async function revokeScoringGroup(): Promise<number> {
  const a = admin().admin();
  await a.connect();
  try {
    const res = await a.deleteAcls({
      filters: [
        {
          resourceType: AclResourceTypes.GROUP,
          resourceName: 'ulasan-scoring',
          resourcePatternType: ResourcePatternTypes.PREFIXED,
          principal: 'User:ulasan-scoring',
          host: '*',
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ALLOW,
        },
      ],
    });
    return res.filterResponses.reduce((n, r) => n + r.matchingAcls.length, 0);
  } finally {
    await a.disconnect();
  }
}

/** /health of the processors' process: every consumer running (a crashed one makes it 503). */
async function healthy(): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${METRICS_PORT}/health`, { signal: AbortSignal.timeout(3000) });
  return res.ok && ((await res.json()) as { status: string }).status === 'ok';
}

const tail = () => log.join('').slice(-3000);

beforeAll(async () => {
  await upService(layout, 'kafka');
  await provisionKafka(admin(), prefix);
}, 180_000);

afterAll(async () => {
  if (scorer) {
    scorer.kill('SIGKILL');
    await exited(scorer);
  }
  await downService(layout, 'kafka');
});

describe('processors across SCRAM broker restarts', () => {
  it('resume by themselves and score every review exactly once', { timeout: 900_000 }, async () => {
    const kafka = admin();
    const serde = new AvroSerde(registryUrl);
    await serde.registerAll(allTopics(prefix));
    scorer = startProcessors(await ensureDefaultModel());
    for (let phase = 0; phase < PHASES; phase += 1) {
      const revoked = phase === 2;
      if (revoked) expect(await revokeScoringGroup()).toBe(1);
      if (phase > 0) {
        // The restart, while every consumer, the scorer's transactional producer and the registry
        // followers are connected. Nothing restarts the processors: they must get past it alone.
        await downService(layout, 'kafka');
        await upService(layout, 'kafka');
      }
      await produceReviews(kafka, serde, topics.reviews, reviews(phase * PER_PHASE, PER_PHASE), { rate: 500 });
      if (revoked) {
        // The scorer's consumer was refused (health says so); then the grant comes back.
        await waitFor(async () => !(await healthy()), 120_000, `the scorer refused its group (log: ${tail()})`);
        await provisionKafka(admin(), prefix);
      }
      await waitFor(
        async () => (await reviewLag()) === 0 && (await healthy()),
        phase === 0 ? 240_000 : 180_000,
        `phase ${phase}: scoring and storing caught up, /health ok (log: ${tail()})`,
      );
    }
    expect(scorer.exitCode).toBeNull();
    const scored = await scoredOnTopic(kafka, serde, topics, runId, PHASES * PER_PHASE);
    expect(scored.distinct).toBe(PHASES * PER_PHASE);
    expect(scored.records).toBe(PHASES * PER_PHASE);
  });
});
