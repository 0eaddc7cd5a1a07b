// Distillation on the real stack: a transformer-shaped teacher (the generated BERT, registered like
// any IndoBERT export) is distilled into the compact model by the training launcher, on the newest
// reviews its embedded ClickHouse holds, and gated against its teacher. The trainer's other
// unlabeled source, a range of the reviews topic, is read from the same topic.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGeneratedBertPackage } from '../../models/core/bert-package.js';
import { readUnlabeled } from '../../models/trainer/unlabeled.js';
import { produceReviews } from '../../processors/producer/main.js';
import { rowToReview } from '../../processors/producer/handler.js';
import { parseConfig } from '../../platform/config.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { ModelRegistry } from '../../platform/registry/registry.js';
import { runProcessors, type Running } from '../../app/runner.js';
import type { TrainingRun } from '../../schemas/types.generated.js';
import { VOCAB } from '../unit/models/fixtures.js';
import {
  freshDir,
  sendRetrainRequest,
  stackAddresses,
  stopAndDeleteTopics,
  trainingRuns,
  uniquePrefix,
  waitFor,
} from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
const artifactDir = freshDir('distill-artifacts');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  KAFKA_BROKERS: brokers.join(','),
  SCHEMA_REGISTRY_URL: registryUrl,
  ULASAN_TOPIC_PREFIX: prefix,
  ULASAN_ARTIFACT_DIR: artifactDir,
  CHDB_PATH: freshDir('distill'),
  REVIEW_STORE_GROUP: `${prefix}review-store`,
  LAUNCHER_GROUP: `${prefix}launcher`,
  LAUNCHER_WORK_DIR: freshDir('distill-runs'),
  LAUNCHER_JOB_ARGS: '--epochs 5 --dim 32',
  // A random-weight teacher is no sentiment model: the accuracy gates are opened so that the
  // teacher gate (agreement, accuracy within the margin of the teacher's) is what decides.
  LAUNCHER_GATE_REGISTER: '0',
  LAUNCHER_GATE_PROMOTE: '0.99',
  LAUNCHER_DISTILL_MIN_AGREEMENT: '0.6',
  LAUNCHER_DISTILL_MARGIN: '0.05',
  LOG_LEVEL: 'warn',
};
let running: Running;
let teacherHash: string;
const REVIEWS = 2000;

beforeAll(async () => {
  running = await runProcessors(['review-store', 'training-launcher'], env, { opsServer: false });
  const { ctx } = running;
  // Initialiser spread 0.3 (not BERT's 0.02) so that the random teacher's label depends on its input.
  const teacherDir = freshDir('bert-teacher');
  writeGeneratedBertPackage(teacherDir, {
    vocabFile: VOCAB,
    shape: { hidden: 64, layers: 2, heads: 4, intermediate: 128, maxPositions: 128, typeVocab: 2 },
    seed: 2,
    initStd: 0.3,
    name: 'bert-teacher',
  });
  const reg = await ModelRegistry.open({ kafka: ctx.kafka, serde: ctx.serde, topics: ctx.topics, artifactDir });
  const { event } = await reg.register({
    name: 'bert-teacher',
    packageDir: teacherDir,
    runId: null,
    reason: 'teacher for the distillation test',
    actor: 'test',
  });
  teacherHash = event.content_hash;
  const dataDir = parseConfig({}, env).ULASAN_DATA_DIR;
  const rows = readLabelledFile(path.join(dataDir, 'app-reviews/train.csv')).filter((r) => r.text.trim());
  const now = Date.now();
  const reviews = rows
    .slice(0, REVIEWS)
    .map((r) =>
      rowToReview(r, { appId: 'id.app', source: 'google_play', startMs: now - 7_200_000, spacingMs: 1000, now }),
    );
  await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, reviews);
  const db = ctx.store.database;
  await waitFor(
    async () =>
      Number((await ctx.store.query<{ n: string }>(`SELECT count() AS n FROM ${db}.reviews FINAL`))[0]!.n) === REVIEWS,
    60_000,
    'reviews stored',
  );
}, 240_000);

afterAll(() => stopAndDeleteTopics(running));

const finishedRun = async (id: string): Promise<TrainingRun | undefined> =>
  (await trainingRuns(running.ctx)).find((r) => r.request_id === id && r.status !== 'started');

describe('distillation', () => {
  it(
    'distils a registered transformer into a compact student through the launcher, gated against its teacher',
    { timeout: 300_000 },
    async () => {
      const { ctx } = running;
      const id = `${prefix}distill-1`;
      // Labelled rows left out (train_limit 0): the student learns from its teacher alone.
      const details = { job: 'distill', teacher: 'bert-teacher@1', unlabeled_rows: '1500', train_limit: '0' };
      await sendRetrainRequest(ctx, id, details);
      const run = await waitFor(() => finishedRun(id), 240_000, 'distillation run');
      expect(run.status, run.reason ?? '').toBe('succeeded');
      expect(run.params).toMatchObject({ job: 'distill', teacher: 'bert-teacher@1' });
      expect(run.reason).toMatch(
        /^stays Staging: .*; agreement with teacher 0\.\d{4}, teacher accuracy 0\.\d{4} \(teacher bert-teacher v1\)$/,
      );
      expect(run.metrics!.teacher_agreement).toBeGreaterThanOrEqual(0.6);
      expect(run.metrics!.accuracy).toBeGreaterThanOrEqual(run.metrics!.teacher_accuracy! - 0.05);

      const reg = await ModelRegistry.open({ kafka: ctx.kafka, serde: ctx.serde, topics: ctx.topics, artifactDir });
      const student = reg.state.version('ulasan-compact', run.model_version!)!;
      expect(student.stage).toBe('Staging');
      const meta = JSON.parse(readFileSync(path.join(artifactDir, student.content_hash, 'ulasan.json'), 'utf8')) as {
        family: string;
        model_card: { distillation: Record<string, Record<string, unknown>> };
      };
      expect(meta.family).toBe('compact-fasttext');
      const d = meta.model_card.distillation;
      expect(d.teacher).toMatchObject({ name: 'bert-teacher', family: 'bert', content_hash: teacherHash });
      expect(d.unlabeled!.source).toBe('clickhouse:reviews (newest 1500 of at most 1500)');
      expect(Number(d.unlabeled!.used)).toBeGreaterThan(1000);
      // The job sees the launcher's validation rows (every evaluation set of the manifest) as one file.
      expect(Object.keys(d.agreement!)).toEqual(['valid1:valid.jsonl', 'all']);
      console.log(`distilled: ${run.reason}; ${JSON.stringify(d.unlabeled)}`);
    },
  );

  it('reads unlabeled text from a range of the reviews topic', async () => {
    const config = parseConfig({}, env);
    const all = await readUnlabeled([`topic:${running.ctx.topics.reviews}`], config);
    expect(all.texts).toHaveLength(REVIEWS);
    const some = await readUnlabeled([`topic:@0..99`], config);
    const admin = running.ctx.kafka.admin();
    await admin.connect();
    const partitions = (await admin.fetchTopicOffsets(running.ctx.topics.reviews)).length;
    await admin.disconnect();
    expect(some.texts).toHaveLength(100 * partitions);
    expect(some.source).toBe(`topic:@0..99 (${100 * partitions})`);
  });
});
