// Replay / backtest: reads a range of a reviews topic with its own consumer (a throwaway group that
// seeks and commits nothing), scores it with a chosen model, compares with the production
// predictions (read back from the scored topic) and with feedback labels, stores each result in
// ClickHouse `backtest_predictions` keyed by run id, and returns the report. Resumable: progress is
// saved per run id after each batch, and a resumed run continues where it stopped.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Feedback, Review, ScoredReview, Sentiment } from '../../schemas/types.generated.js';
import { InferenceEngine, type Prediction } from '../../models/core/engine.js';
import { SENTIMENTS } from '../../models/core/package.js';
import { evaluate } from '../../models/trainer/metrics.js';
import type { Context } from '../kit/context.js';
import { MAX_STORABLE_MS, MIN_STORABLE_MS, TimestampError } from '../../platform/time.js';
import type { ColumnBatch } from '../../platform/clickhouse/store.js';
import { modelInputText } from '../../models/features/features.js';
import { sentimentProbs, topSentiment } from '../../models/serving/sentiment.js';
import { readToEnd } from '../../platform/kafka/read-to-end.js';
import { offsetsFor, type Bound } from '../../platform/kafka/topic-range.js';
import { UlasanError } from '../../platform/errors.js';
import type { KafkaMessage } from '../../platform/kafka/kafka.js';
import { recordFailure } from '../kit/kit.js';
import { predictSliced } from '../../models/serving/predict.js';
import { isRetriable } from '../../platform/outage.js';
import { validateReview } from '../kit/review.js';

export { parseBound, type Bound } from '../../platform/kafka/topic-range.js';

/**
 * The replay's stages: the model load once; per batch: decode + validate, the model's clean text,
 * inference, the backtest_predictions columns, their insert, the saved progress; the report at the end.
 * CPU outside them (kafkajs fetching and parsing, the group join) is the benchmark's "read".
 */
export const REPLAY_STAGES = [
  'load',
  'decode',
  'features',
  'inference',
  'rows',
  'insert',
  'progress',
  'report',
] as const;
export type ReplayStage = (typeof REPLAY_STAGES)[number];

export interface ReplayOptions {
  topic: string;
  from: Bound;
  to: Bound;
  modelDir: string;
  runId?: string;
  stateDir: string;
  onProgress?: (done: number, total: number) => void;
  /** Called after each stage of each batch with the process CPU it took (µs, every thread): benchmarks. */
  onStage?: (stage: ReplayStage, cpuMicros: number) => void;
}

/** Runs fn as one stage, reporting its process CPU to onStage when one is given. */
async function staged<T>(o: Pick<ReplayOptions, 'onStage'>, stage: ReplayStage, fn: () => T | Promise<T>): Promise<T> {
  if (!o.onStage) return fn();
  const from = process.cpuUsage();
  try {
    return await fn();
  } finally {
    const d = process.cpuUsage(from);
    o.onStage(stage, d.user + d.system);
  }
}

export interface ReplayReport {
  run_id: string;
  topic: string;
  model_version: string;
  replayed: number;
  compared_with_production: number;
  agreement: number | null;
  changes: Record<string, number>;
  per_class_counts: Record<Sentiment, number>;
  with_feedback: number;
  accuracy: number | null;
  macro_f1: number | null;
  /** Records in the range that were not scored, by dead-letter code (production never scored them either). */
  skipped: Record<string, number>;
}

/** A run id names files in the backtests folder: letters, digits, - and _ only (no ../). */
export const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

interface ReplayState {
  runId: string;
  stateFile: string;
  start: Map<number, number>;
  end: Map<number, number>;
  next: Map<number, number>;
  /** Records not scored, by the reason production would have dead-lettered them. */
  skipped: Record<string, number>;
  done: number;
  total: number;
}

async function loadState(ctx: Context, o: ReplayOptions): Promise<ReplayState> {
  if (o.runId !== undefined && !RUN_ID.test(o.runId)) {
    throw new UlasanError('USAGE', `--run-id must be 1-64 letters, digits, - or _ (got "${o.runId}")`);
  }
  const runId = o.runId ?? randomUUID();
  mkdirSync(o.stateDir, { recursive: true });
  const stateFile = path.join(o.stateDir, `${runId}.json`);
  const saved = existsSync(stateFile)
    ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { next: Record<string, number>; end: Record<string, number> })
    : null;
  const fromSaved = (r: Record<string, number>) => new Map(Object.entries(r).map(([k, v]) => [Number(k), v]));
  const start = saved ? fromSaved(saved.next) : await offsetsFor(ctx.kafka, o.topic, o.from, 'start');
  const end = saved
    ? fromSaved(saved.end)
    : await offsetsFor(ctx.kafka, o.topic, o.to, o.to.kind === 'time' ? 'start' : 'end');
  const total = [...end.entries()].reduce((s, [p, e]) => s + Math.max(0, e - (start.get(p) ?? e)), 0);
  return { runId, stateFile, start, end, next: new Map(start), skipped: {}, done: 0, total };
}

/** Decodes and validates like production; what production would have dead-lettered is counted, not scored. */
async function replayable(
  ctx: Context,
  topic: string,
  msgs: KafkaMessage[],
  skipped: Record<string, number>,
): Promise<Review[]> {
  const reviews: Review[] = [];
  const seen = new Set<string>();
  const now = Date.now(); // one clock reading per batch, as the scorer's triage
  for (const m of msgs) {
    let code: string;
    try {
      // The cached compiled reader without a promise per record; decode() when the registry must answer.
      const decoded = ctx.serde.decodeSync<Review>(m.value, topic) ?? (await ctx.serde.decode<Review>(m.value, topic));
      const v = validateReview(decoded.value, now);
      if (v.ok && !seen.has(v.review.review_id)) {
        seen.add(v.review.review_id);
        reviews.push(v.review);
        continue;
      }
      code = v.ok ? 'DUPLICATE_REVIEW' : v.code;
    } catch (err) {
      code = recordFailure(err).code; // an outage is rethrown: the batch is retried
    }
    skipped[code] = (skipped[code] ?? 0) + 1;
  }
  return reviews;
}

/** A DateTime64(3) column value as epoch milliseconds (no date text per row); out of range throws as toDateTime64. */
function storable(ms: number, field: string): number {
  if (!(ms >= MIN_STORABLE_MS && ms <= MAX_STORABLE_MS)) throw new TimestampError(ms, field);
  return ms;
}

/** The backtest_predictions columns of one batch: one array per column, no object per row. */
export function backtestColumns(
  runId: string,
  engine: Pick<InferenceEngine, 'version' | 'pkg'>,
  reviews: readonly Review[],
  preds: readonly Prediction[],
  replayedAt: number,
): ColumnBatch {
  const n = reviews.length;
  const c = {
    run_id: new Array<string>(n).fill(runId),
    review_id: new Array<string>(n),
    app_id: new Array<string>(n),
    label: new Array<Sentiment>(n),
    prob_negative: new Array<number>(n),
    prob_neutral: new Array<number>(n),
    prob_positive: new Array<number>(n),
    model_version: new Array<string>(n).fill(engine.version),
    created_at: new Array<number>(n),
    replayed_at: new Array<number>(n).fill(storable(replayedAt, 'replayed_at')),
  };
  for (let i = 0; i < n; i++) {
    const r = reviews[i]!;
    const probs = sentimentProbs(preds[i]!, engine.pkg.sentiments);
    c.review_id[i] = r.review_id;
    c.app_id[i] = r.app_id;
    c.label[i] = topSentiment(probs);
    c.prob_negative[i] = probs.negative;
    c.prob_neutral[i] = probs.neutral;
    c.prob_positive[i] = probs.positive;
    c.created_at[i] = storable(r.created_at, 'created_at');
  }
  return c;
}

async function scoreAndStore(
  ctx: Context,
  o: ReplayOptions,
  engine: InferenceEngine,
  runId: string,
  reviews: Review[],
  heartbeat: () => Promise<void>,
): Promise<void> {
  if (!reviews.length) return;
  // The model's input as the engine would make it (computed here so that it is a stage of its own).
  const cleaned = await staged(o, 'features', () =>
    engine.pkg.meta.preprocessing === 'clean-text'
      ? reviews.map((r) => modelInputText(r.text.toWellFormed()))
      : undefined,
  );
  // A transformer replays tens of reviews a second: the group must keep hearing from this member.
  // The review's own app name is masked as production masks it (packages with name masking).
  const preds = await staged(o, 'inference', () =>
    predictSliced(
      engine,
      reviews.map((r) => r.text),
      cleaned,
      heartbeat,
      undefined,
      reviews.map((r) => r.app_id),
    ),
  );
  const columns = await staged(o, 'rows', () => backtestColumns(runId, engine, reviews, preds, Date.now()));
  await staged(o, 'insert', () => ctx.store.insertColumns('backtest_predictions', columns));
}

/** Reads [start, end) of every partition with a throwaway group, scoring as it goes; progress saved per batch. */
async function replayRange(ctx: Context, o: ReplayOptions, st: ReplayState, engine: InferenceEngine): Promise<void> {
  const pending = [...st.end.entries()].filter(([p, e]) => (st.start.get(p) ?? e) < e);
  if (!pending.length) return;
  const consumer = ctx.kafka.consumer({ groupId: `ulasan-replay-${st.runId}-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic });
  const left = new Set(pending.map(([p]) => p));
  let resolveDone!: () => void;
  const finished = new Promise<void>((resolve) => (resolveDone = resolve));
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, heartbeat }) => {
      const stop = st.end.get(batch.partition);
      if (stop === undefined || !left.has(batch.partition)) return;
      const msgs = batch.messages.filter(
        (m) => Number(m.offset) >= (st.next.get(batch.partition) ?? 0) && Number(m.offset) < stop,
      );
      const reviews = await staged(o, 'decode', () => replayable(ctx, o.topic, msgs, st.skipped));
      await scoreAndStore(ctx, o, engine, st.runId, reviews, heartbeat);
      st.done += msgs.length;
      const last = Number(batch.messages.at(-1)?.offset ?? -1);
      st.next.set(batch.partition, Math.max(st.next.get(batch.partition) ?? 0, Math.min(last + 1, stop)));
      await staged(o, 'progress', () => {
        writeFileSync(
          st.stateFile,
          JSON.stringify({ next: Object.fromEntries(st.next), end: Object.fromEntries(st.end) }),
        );
        o.onProgress?.(st.done, st.total);
      });
      if ((st.next.get(batch.partition) ?? 0) >= stop) left.delete(batch.partition);
      if (left.size === 0) resolveDone();
    },
  });
  // Seek once running (kafkajs applies seeks to the running consumer's assignment).
  for (const [p] of pending) consumer.seek({ topic: o.topic, partition: p, offset: String(st.next.get(p)) });
  await finished;
  await consumer.disconnect();
}

/** The newest value per key of a topic, skipping what cannot be read (those are dead letters elsewhere). */
async function readLatest<T>(
  ctx: Context,
  topic: string,
  pick: (v: T, out: Map<string, Sentiment>) => void,
): Promise<Map<string, Sentiment>> {
  const out = new Map<string, Sentiment>();
  const unreadable = (err: unknown) => {
    if (isRetriable(err)) throw err;
    return null;
  };
  await readToEnd(ctx.kafka, topic, async (v) => {
    let decoded: { value: T } | null | undefined;
    try {
      decoded = ctx.serde.decodeSync<T>(v, topic);
    } catch (err) {
      decoded = unreadable(err);
    }
    if (decoded === undefined) decoded = await ctx.serde.decode<T>(v, topic).catch(unreadable);
    if (decoded) pick(decoded.value, out);
  });
  return out;
}

/** Production predictions and true labels for the replayed reviews, from their topics, against the run's rows. */
async function reportOf(
  ctx: Context,
  o: ReplayOptions,
  runId: string,
  modelVersion: string,
  skipped: ReplayReport['skipped'],
) {
  const scoredTopic = o.topic.replace(/ulasan\.reviews$/, 'ulasan.reviews.scored');
  const production = await readLatest<ScoredReview>(
    ctx,
    scoredTopic,
    (s, out) => void (s.shadow || out.set(s.review_id, s.label)),
  );
  const truth = await readLatest<Feedback>(
    ctx,
    ctx.topics.feedback,
    (f, out) => void out.set(f.review_id, f.true_label),
  );
  const rows = await ctx.store.query<{ review_id: string; label: Sentiment; p0: number; p1: number; p2: number }>(
    `SELECT review_id, toString(label) AS label, prob_negative AS p0, prob_neutral AS p1, prob_positive AS p2
     FROM ${ctx.store.database}.backtest_predictions FINAL WHERE run_id = {run:String}`,
    { run: runId },
  );
  const report: ReplayReport = {
    run_id: runId,
    topic: o.topic,
    model_version: modelVersion,
    skipped,
    ...compare(rows, production, truth),
  };
  writeFileSync(path.join(o.stateDir, `${runId}.report.json`), JSON.stringify(report, null, 2));
  return report;
}

export async function runReplay(ctx: Context, o: ReplayOptions): Promise<ReplayReport> {
  const st = await loadState(ctx, o);
  // Batches of 64, as the scorer's SCORING_ENGINE_BATCH: cheaper per review than 256 (bench/engine-batch.ts).
  const engine = await staged(o, 'load', () => InferenceEngine.load(o.modelDir, { maxBatch: 64 }));
  await replayRange(ctx, o, st, engine).finally(() => engine.close());
  return staged(o, 'report', () => reportOf(ctx, o, st.runId, engine.version, st.skipped));
}

type Compared = Omit<ReplayReport, 'run_id' | 'topic' | 'model_version' | 'skipped'>;

/** Pure: agreement with production and accuracy against feedback of the replayed predictions. */
export function compare(
  rows: { review_id: string; label: Sentiment; p0: number; p1: number; p2: number }[],
  production: Map<string, Sentiment>,
  truth: Map<string, Sentiment>,
): Compared {
  const changes: Record<string, number> = {};
  let compared = 0;
  let agree = 0;
  const perClass: Record<Sentiment, number> = { negative: 0, neutral: 0, positive: 0 };
  const t: number[] = [];
  const probs: number[][] = [];
  for (const r of rows) {
    perClass[r.label] += 1;
    const prod = production.get(r.review_id);
    if (prod) {
      compared += 1;
      if (prod === r.label) agree += 1;
      else changes[`${prod}->${r.label}`] = (changes[`${prod}->${r.label}`] ?? 0) + 1;
    }
    const y = truth.get(r.review_id);
    if (y) {
      t.push(SENTIMENTS.indexOf(y));
      probs.push([r.p0, r.p1, r.p2]);
    }
  }
  const m = t.length ? evaluate([...SENTIMENTS], t, probs) : null;
  return {
    replayed: rows.length,
    compared_with_production: compared,
    agreement: compared ? agree / compared : null,
    changes,
    per_class_counts: perClass,
    with_feedback: t.length,
    accuracy: m?.accuracy ?? null,
    macro_f1: m?.macro_f1 ?? null,
  };
}
