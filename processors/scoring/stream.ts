// The scoring processor's stream work: one consumed batch -> triage -> features -> model -> rows
// and ScoredReviews -> ClickHouse and one Kafka transaction with the offsets.
//
// Exactly-once effect, per batch:
//   1. rows are inserted into ReplacingMergeTree tables keyed by review_id (a repeat replaces);
//   2. ScoredReviews, dead letters and the consumer offsets go out in ONE Kafka transaction, which
//      commits only after step 1 succeeded (1 runs while the records of 2 are being sent).
// A crash before the commit aborts the transaction (read_committed consumers never see its records)
// and the batch is redelivered; step 1 repeats harmlessly. An outage (registry, ClickHouse, Kafka)
// is waited out in place: the attempt is aborted and retried with backoff, never dead-lettered.
import type { Review } from '../../schemas/types.generated.js';
import { FEATURE_SET_VERSION, computeFeatures, type Features } from '../../models/features/features.js';
import type { InferenceEngine, Prediction } from '../../models/core/engine.js';
import { defaultTagger } from '../../models/topics/tagger.js';
import type { Context } from '../kit/context.js';
import {
  chunkBySize,
  SEND_CHUNK_BYTES,
  type EachBatchPayload,
  type KafkaMessage,
  type Message,
} from '../../platform/kafka/kafka.js';
import type { RenewableTransactionalProducer } from '../../platform/kafka/transactional.js';
import type { outageWaiter } from '../kit/kit.js';
import type { ModelHolder } from '../../models/serving/model-holder.js';
import type { ValidationLimits } from '../kit/review.js';
import { predictSliced } from '../../models/serving/predict.js';
import { sentimentProbs } from '../../models/serving/sentiment.js';
import { knownReviewsQuery, toKnown, type KnownReviews } from '../kit/review-identity.js';
import { triageReviewBatch, type Triaged } from '../kit/triage.js';
import type { scoringShape } from './config.js';
import { FeatureColumns, inShadowSample, PredictionColumns, scoredMessageOf, type PredictionInput } from './handler.js';
import { boundAppVersion } from '../kit/app-version.js';
import { stageTimer, type ScoringMetrics } from './metrics.js';

type Cfg = { [K in keyof typeof scoringShape]: ReturnType<(typeof scoringShape)[K]['parse']> };

export interface ScoringDeps {
  ctx: Context;
  cfg: Cfg;
  name: string;
  limits: ValidationLimits;
  models: ModelHolder;
  producer: RenewableTransactionalProducer;
  /** The batch encoder of the scored topic (SerdeAvro.batchEncoderFor). */
  encodeScored: (values: readonly unknown[]) => Buffer[];
  m: ScoringMetrics;
  wait: ReturnType<typeof outageWaiter>;
}

type Scored = Awaited<ReturnType<typeof score>>;

/** What the predictions table holds for a batch's ids: edits are re-scored, conflicts dead-lettered. */
function knownPredictions(ctx: Context): KnownReviews {
  const sql = knownReviewsQuery(`${ctx.store.database}.predictions`, 'text_hash');
  return async (ids) => toKnown(await ctx.store.query(sql, { ids }));
}

/**
 * The shadow model on its sample of a batch. `shadow` is the batch's own snapshot: a shadow loaded or
 * dropped while Production predicts must not change which model the batch's shadow rows name.
 */
async function predictShadow(
  d: ScoringDeps,
  shadow: InferenceEngine | null,
  reviews: Review[],
  features: Features[],
  beat: () => Promise<void>,
) {
  const idx = shadow
    ? reviews.map((r, i) => (inShadowSample(r.review_id, d.cfg.SCORING_SHADOW_SAMPLE) ? i : -1)).filter((i) => i >= 0)
    : [];
  if (!shadow || idx.length === 0) return { idx, preds: [] as Prediction[] };
  const cleaned =
    shadow.pkg.meta.feature_set_version === FEATURE_SET_VERSION ? idx.map((i) => features[i]!.clean_text) : undefined;
  return {
    idx,
    preds: await predictSliced(
      shadow,
      idx.map((i) => reviews[i]!.text),
      cleaned,
      beat,
      undefined,
      idx.map((i) => reviews[i]!.app_id),
    ),
  };
}

/** The production model on a batch, timed in wall and CPU time. */
async function predictProduction(
  m: ScoringMetrics,
  production: ReturnType<ModelHolder['snapshot']>['production'],
  reviews: Review[],
  features: Features[],
  beat: () => Promise<void>,
) {
  // clean_text is the compact model's input only when the model was built on this feature set.
  const cleaned =
    production.pkg.meta.feature_set_version === FEATURE_SET_VERSION ? features.map((f) => f.clean_text) : undefined;
  const t0 = performance.now();
  const endInferCpu = stageTimer(m, 'inference', false);
  // The review's own app name is masked like the listed brand names (packages with name masking).
  const appIds = reviews.map((r) => r.app_id);
  const preds = await predictSliced(
    production,
    reviews.map((r) => r.text),
    cleaned,
    beat,
    undefined,
    appIds,
  );
  const inferMs = performance.now() - t0;
  endInferCpu();
  m.inferenceSeconds.observe(inferMs / 1000);
  m.stageSeconds.observe({ stage: 'inference' }, inferMs / 1000);
  return { preds, inferMs };
}

/**
 * One review's prediction input (probabilities, bounded app version), for the row and the message.
 * `i` indexes the batch; `k` the predictions (the shadow's are a subset).
 */
function inputOf(
  b: { reviews: Review[]; messages: KafkaMessage[]; hashes: string[]; partition: number },
  i: number,
  prediction: Prediction,
  sentiments: Parameters<typeof sentimentProbs>[1],
  features: Features[],
  topics: string[][],
): PredictionInput {
  const review = b.reviews[i]!;
  return {
    review,
    prediction,
    probs: sentimentProbs(prediction, sentiments),
    features: features[i]!,
    partition: b.partition,
    offset: b.messages[i]!.offset,
    topics: topics[i]!,
    textHash: b.hashes[i]!,
    appVersion: boundAppVersion(review.app_version),
  };
}

async function score(
  d: ScoringDeps,
  batch: { reviews: Review[]; messages: KafkaMessage[]; hashes: string[]; partition: number },
  beat: () => Promise<void>,
) {
  const { reviews } = batch;
  const { m } = d;
  const { production, shadow } = d.models.snapshot();
  const endFeatures = stageTimer(m, 'features');
  const features: Features[] = reviews.map((r) => computeFeatures(r.text));
  endFeatures();
  // Complaint topics from the clean text the features just built (same normalisation, no second pass).
  const endTopics = stageTimer(m, 'topics');
  const tagger = defaultTagger();
  const topics = features.map((f) => tagger.tagClean(f.clean_text));
  endTopics();
  const { preds, inferMs } = await predictProduction(m, production, reviews, features, beat);
  const sh = await predictShadow(d, shadow, reviews, features, beat);
  // Rows are built as columns (no object per row); the inputs are kept for the messages below.
  const endRows = stageTimer(m, 'rows');
  const now = Date.now();
  const rows = new PredictionColumns(now, reviews.length ? inferMs / reviews.length : 0);
  const featureRows = new FeatureColumns(now);
  const inputs = new Array<PredictionInput>(reviews.length);
  for (let i = 0; i < reviews.length; i++) {
    inputs[i] = inputOf(batch, i, preds[i]!, production.pkg.sentiments, features, topics);
    rows.push(inputs[i]!);
    featureRows.push(reviews[i]!, features[i]!);
  }
  const shadowRows = new PredictionColumns(now, 0);
  sh.idx.forEach((ri, k) =>
    shadowRows.push(inputOf(batch, ri, sh.preds[k]!, shadow!.pkg.sentiments, features, topics)),
  );
  endRows();
  // The ScoredReviews' Avro encoding: the produce side's own CPU, apart from the rows.
  const endEncode = stageTimer(m, 'encode');
  const values = d.encodeScored(inputs.map((x) => scoredMessageOf(x, now, false)));
  const scored: Message[] = values.map((value, i) => ({ key: reviews[i]!.review_id, value }));
  endEncode();
  return { rows, featureRows, shadowRows, scored, production, shadow, now, reviews };
}

/** ClickHouse rows and the Kafka transaction (records + offsets) for one batch: one attempt. */
async function writeOnce(d: ScoringDeps, p: EachBatchPayload, t: Triaged, s: Scored): Promise<void> {
  const { ctx, m } = d;
  const lastHandled = p.batch.messages[t.handled - 1]!.offset;
  // Sent in chunks: Kafka refuses a produce request over the broker's message.max.bytes, and a
  // large consumed batch (or large reviews) can exceed it once encoded as ScoredReviews.
  const sends = [
    ...chunkBySize(s.scored, SEND_CHUNK_BYTES).map((messages) => ({ topic: ctx.topics.scored, messages })),
    ...chunkBySize(t.dead, SEND_CHUNK_BYTES).map((messages) => ({ topic: ctx.topics.deadLetter, messages })),
  ];
  const tx = await d.producer.transaction();
  try {
    const endWrite = stageTimer(m, 'write', false);
    const [stored, sent] = await Promise.allSettled([
      (async () => {
        const done = stageTimer(m, 'clickhouse');
        await ctx.store.insertColumns('predictions', s.rows.batch());
        await ctx.store.insertColumns('review_features', s.featureRows.batch());
        if (s.shadowRows.length) await ctx.store.insertColumns('shadow_predictions', s.shadowRows.batch());
        done();
      })(),
      (async () => {
        const done = stageTimer(m, 'kafka_send');
        for (const send of sends) await tx.send(send);
        done();
      })(),
    ]);
    endWrite();
    if (stored.status === 'rejected') throw stored.reason;
    if (sent.status === 'rejected') throw sent.reason;
    await p.heartbeat();
    const endCommit = stageTimer(m, 'commit');
    const offset = (BigInt(lastHandled) + 1n).toString();
    await tx.sendOffsets({
      consumerGroupId: d.cfg.SCORING_GROUP,
      topics: [{ topic: p.batch.topic, partitions: [{ partition: p.batch.partition, offset }] }],
    });
    await tx.commit();
    endCommit();
  } catch (err) {
    // A failed abort leaves kafkajs's producer in ABORTING for good: it is replaced before the retry.
    await d.producer.abort(tx, err);
    throw err;
  }
}

function record(d: ScoringDeps, p: EachBatchPayload, t: Triaged, s: Scored): void {
  const { m } = d;
  for (const code of t.codes) m.deadLettered.inc({ code });
  m.scored.inc({ model_version: s.production.version }, s.reviews.length);
  if (s.shadow && s.shadowRows.length > 0) m.shadowScored.inc({ model_version: s.shadow.version }, s.shadowRows.length);
  for (const r of s.reviews) m.lagSeconds.observe(Math.max(0, (s.now - r.created_at) / 1000));
  const lastHandled = Number(p.batch.messages[t.handled - 1]!.offset);
  m.consumerLag.set(
    { partition: String(p.batch.partition) },
    Math.max(0, Number(p.batch.highWatermark) - lastHandled - 1),
  );
}

export function batchHandler(d: ScoringDeps) {
  return async (p: EachBatchPayload): Promise<void> => {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = p;
    if (batch.messages.length === 0) return;
    const waitOpts = { heartbeat, keepGoing: () => isRunning() && !isStale() };
    const end = d.m.batchSeconds.startTimer();
    d.m.batchSize.observe(batch.messages.length);
    d.m.consumed.inc(batch.messages.length);
    const endTriage = stageTimer(d.m, 'triage');
    const triaged = () => triageReviewBatch(d.ctx.serde, d.ctx.topics, d.name, d.limits, p, knownPredictions(d.ctx));
    const t = await d.wait('decode', triaged, waitOpts);
    endTriage();
    if (t.handled === 0) return;
    // Heartbeats between the stages: a large batch on a loaded machine must not outlast the
    // session timeout (the member would be fenced and the batch retried forever).
    await heartbeat();
    const good = {
      reviews: t.good.map((g) => g.review),
      messages: t.good.map((g) => g.message),
      hashes: t.good.map((g) => g.textHash),
      partition: batch.partition,
    };
    const s = await score(d, good, heartbeat);
    await heartbeat();
    await d.wait('store and commit', () => writeOnce(d, p, t, s), waitOpts);
    // kafkajs keeps one resolved offset per partition: the last handled one says it for all before it.
    resolveOffset(batch.messages[t.handled - 1]!.offset);
    await heartbeat();
    record(d, p, t, s);
    end();
  };
}
