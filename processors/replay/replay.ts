// Replay / backtest: reads a range of a reviews topic with its own consumer (a throwaway group that
// seeks and commits nothing), scores it with a chosen model, compares with the production
// predictions (read back from the scored topic) and with feedback labels, stores each result in
// ClickHouse `backtest_predictions` keyed by run id, and returns the report. Resumable: progress is
// saved per run id after each batch, and a resumed run continues where it stopped.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Feedback, Review, ScoredReview, Sentiment } from '../../schemas/types.generated.js';
import { InferenceEngine } from '../../models/core/engine.js';
import { SENTIMENTS } from '../../models/core/package.js';
import { evaluate } from '../../models/trainer/metrics.js';
import type { Context } from '../kit/context.js';
import { toDateTime64 } from '../../platform/time.js';
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

export interface ReplayOptions {
  topic: string;
  from: Bound;
  to: Bound;
  modelDir: string;
  runId?: string;
  stateDir: string;
  onProgress?: (done: number, total: number) => void;
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
  for (const m of msgs) {
    let code: string;
    try {
      const v = validateReview((await ctx.serde.decode<Review>(m.value, topic)).value);
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

async function scoreAndStore(
  ctx: Context,
  engine: InferenceEngine,
  runId: string,
  reviews: Review[],
  heartbeat: () => Promise<void>,
): Promise<void> {
  if (!reviews.length) return;
  // A transformer replays tens of reviews a second: the group must keep hearing from this member.
  const preds = await predictSliced(
    engine,
    reviews.map((r) => r.text),
    undefined,
    heartbeat,
  );
  const now = toDateTime64(Date.now());
  const rows = reviews.map((r, i) => {
    const probs = sentimentProbs(preds[i]!, engine.pkg.sentiments);
    const scored = {
      label: topSentiment(probs),
      prob_negative: probs.negative,
      prob_neutral: probs.neutral,
      prob_positive: probs.positive,
    };
    return {
      run_id: runId,
      review_id: r.review_id,
      app_id: r.app_id,
      ...scored,
      model_version: engine.version,
      created_at: toDateTime64(r.created_at),
      replayed_at: now,
    };
  });
  await ctx.store.insert('backtest_predictions', rows);
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
      await scoreAndStore(ctx, engine, st.runId, await replayable(ctx, o.topic, msgs, st.skipped), heartbeat);
      st.done += msgs.length;
      const last = Number(batch.messages.at(-1)?.offset ?? -1);
      st.next.set(batch.partition, Math.max(st.next.get(batch.partition) ?? 0, Math.min(last + 1, stop)));
      writeFileSync(
        st.stateFile,
        JSON.stringify({ next: Object.fromEntries(st.next), end: Object.fromEntries(st.end) }),
      );
      o.onProgress?.(st.done, st.total);
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
  await readToEnd(ctx.kafka, topic, async (v) => {
    const decoded = await ctx.serde.decode<T>(v, topic).catch((err: unknown) => {
      if (isRetriable(err)) throw err;
      return null;
    });
    if (decoded) pick(decoded.value, out);
  });
  return out;
}

export async function runReplay(ctx: Context, o: ReplayOptions): Promise<ReplayReport> {
  const st = await loadState(ctx, o);
  const engine = await InferenceEngine.load(o.modelDir, { maxBatch: 256 });
  await replayRange(ctx, o, st, engine).finally(() => engine.close());
  // Production predictions and true labels for the replayed reviews, from their topics.
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
    { run: st.runId },
  );
  const report = {
    run_id: st.runId,
    topic: o.topic,
    model_version: engine.version,
    skipped: st.skipped,
    ...compare(rows, production, truth),
  };
  writeFileSync(path.join(o.stateDir, `${st.runId}.report.json`), JSON.stringify(report, null, 2));
  return report;
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
