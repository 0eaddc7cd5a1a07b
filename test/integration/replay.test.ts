// Replay for backtests: a range replayed with the production model reproduces the production
// predictions exactly; another model's differences are reported; a resumed run completes.
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceReviews } from '../../processors/producer/main.js';
import { rowToReview } from '../../processors/producer/handler.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { parseBound, runReplay } from '../../processors/replay/replay.js';
import { runProcessors, type Running } from '../../app/runner.js';
import { filesInput, runPipeline, DEFAULT_VOCAB } from '../../models/trainer/pipeline.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { DATA } from '../unit/models/fixtures.js';
import { freshDir, stackAddresses, uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
let running: Running;
let modelDir: string;
const N = 600;
const OWN_APP_NAMED = 100;

beforeAll(async () => {
  modelDir = await ensureDefaultModel();
  running = await runProcessors(
    ['scoring', 'feedback-store'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('replay'),
      ULASAN_TOPIC_PREFIX: prefix,
      SCORING_GROUP: `${prefix}scoring`,
      FEEDBACK_STORE_GROUP: `${prefix}fb`,
      SCORING_MODEL_DIR: modelDir,
      SCORING_INSTANCE_ID: `replay-${process.pid}`,
      LOG_LEVEL: 'warn',
    },
    { opsServer: false },
  );
  const { ctx } = running;
  const rows = readLabelledFile(path.join(DATA, 'smsa/valid_preprocess.tsv')).slice(0, N);
  const reviews = rows.map((r, i) => {
    const review = {
      ...rowToReview(r, {
        appId: 'smsa',
        source: 'smsa',
        startMs: Date.now() - N * 1000,
        spacingMs: 1000,
        now: Date.now(),
      }),
      review_id: `${prefix}rp-${r.index}`,
    };
    // Reviews naming their own app: production masks that name (the package masks names), so must replay.
    return i < OWN_APP_NAMED ? { ...review, app_id: 'com.warungkopi.app', text: `warungkopi ${review.text}` } : review;
  });
  await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, reviews);
  // A whitespace-only review: production dead-letters it; replay counts it and carries on.
  await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, [
    { ...reviews[0]!, review_id: `${prefix}rp-blank`, text: '   ' },
  ]);
  // True labels for half of them, as feedback.
  const producer = ctx.kafka.producer();
  await producer.connect();
  await producer.send({
    topic: ctx.topics.feedback,
    messages: await Promise.all(
      rows.slice(0, N / 2).map(async (r) => ({
        key: `${prefix}rp-${r.index}`,
        value: await ctx.serde.encode(ctx.topics.feedback, {
          review_id: `${prefix}rp-${r.index}`,
          true_label: r.label!,
          source: 'annotator',
          given_at: Date.now(),
        }),
      })),
    ),
  });
  await producer.disconnect();
  await waitFor(
    async () =>
      Number(
        (await ctx.store.query<{ n: string }>(`SELECT count() AS n FROM ${ctx.store.database}.predictions FINAL`))[0]!
          .n,
      ) === N,
    60_000,
    'production scoring',
  );
}, 180_000);

afterAll(async () => {
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
});

describe('replay', () => {
  it('reproduces production predictions exactly with the production model', async () => {
    const r = await runReplay(running.ctx, {
      topic: running.ctx.topics.reviews,
      from: parseBound('0'),
      to: parseBound(String(Number.MAX_SAFE_INTEGER)),
      modelDir,
      stateDir: freshDir('bt'),
    });
    expect(r.replayed).toBe(N);
    expect(r.compared_with_production).toBe(N);
    expect(r.agreement).toBe(1);
    expect(r.changes).toEqual({});
    expect(r.with_feedback).toBe(N / 2);
    expect(r.accuracy).toBeGreaterThan(0.8);
    expect(r.skipped).toEqual({ EMPTY_TEXT: 1 });
    // Not only the labels: every probability is production's (same model input, the app's own name masked
    // as production masks it), up to float noise from a different batching of the same texts.
    const db = running.ctx.store.database;
    const [dp] = await running.ctx.store.query<{ named: number; others: number; times: number }>(
      `SELECT
         maxIf(greatest(abs(b.prob_negative - p.prob_negative), abs(b.prob_neutral - p.prob_neutral),
           abs(b.prob_positive - p.prob_positive)), b.app_id = 'com.warungkopi.app') AS named,
         maxIf(greatest(abs(b.prob_negative - p.prob_negative), abs(b.prob_neutral - p.prob_neutral),
           abs(b.prob_positive - p.prob_positive)), b.app_id != 'com.warungkopi.app') AS others,
         countIf(b.created_at != p.created_at) AS times
       FROM (SELECT * FROM ${db}.backtest_predictions FINAL WHERE run_id = {run:String}) AS b
       INNER JOIN (SELECT * FROM ${db}.predictions FINAL) AS p ON b.review_id = p.review_id`,
      { run: r.run_id },
    );
    expect(dp).toEqual({ named: expect.any(Number), others: expect.any(Number), times: 0 });
    expect([dp!.named, dp!.others]).toEqual([expect.closeTo(0, 5), expect.closeTo(0, 5)]);
    const [joined] = await running.ctx.store.query<{ n: string }>(
      `SELECT count() AS n FROM ${db}.backtest_predictions AS b FINAL
       INNER JOIN ${db}.predictions AS p FINAL ON b.review_id = p.review_id WHERE b.run_id = {run:String}`,
      { run: r.run_id },
    );
    expect(Number(joined!.n)).toBe(N);
  });

  it('refuses a run id that would name a file outside the backtests folder', async () => {
    const o = {
      topic: running.ctx.topics.reviews,
      from: parseBound('0'),
      to: parseBound('0'),
      modelDir,
      stateDir: freshDir('bt-bad'),
      runId: '../x',
    };
    await expect(runReplay(running.ctx, o)).rejects.toThrow(/--run-id must be/);
  });

  it('reports the differences of another model version, and resumes a run from its saved progress', async () => {
    // A deliberately weak model: 300 training rows, 3 epochs.
    const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-weak-'));
    const train = path.join(dir, 'train.tsv');
    writeFileSync(
      train,
      readFileSync(path.join(DATA, 'smsa/train_preprocess.tsv'), 'utf8').split('\n').slice(0, 300).join('\n') + '\n',
    );
    await runPipeline({
      ...filesInput([train], []),
      vocabFile: DEFAULT_VOCAB,
      outDir: path.join(dir, 'pkg'),
      name: 'weak',
      version: '2',
      options: { epochs: 3 },
    });
    const stateDir = freshDir('bt2');
    // Pretend an earlier run of the same id stopped half-way: only partitions 0-2 were done.
    const first = await runReplay(running.ctx, {
      topic: running.ctx.topics.reviews,
      from: parseBound('0'),
      to: parseBound(String(Number.MAX_SAFE_INTEGER)),
      modelDir: path.join(dir, 'pkg'),
      stateDir,
      runId: 'weak-run',
    });
    const state = JSON.parse(readFileSync(path.join(stateDir, 'weak-run.json'), 'utf8'));
    expect(Object.values(state.next).every((v, i) => v === Object.values(state.end)[i])).toBe(true);
    const resumed = await runReplay(running.ctx, {
      topic: running.ctx.topics.reviews,
      from: parseBound('0'),
      to: parseBound('0'),
      modelDir: path.join(dir, 'pkg'),
      stateDir,
      runId: 'weak-run',
    });
    expect(resumed.replayed).toBe(N); // nothing left to read: the stored results are the report
    expect(first.agreement).toBeLessThan(1);
    expect(Object.values(first.changes).reduce((a, b) => a + b, 0)).toBe(Math.round(N * (1 - first.agreement!)));
    cpSync(path.join(stateDir, 'weak-run.report.json'), path.join(dir, 'report.json'));
  });
});
