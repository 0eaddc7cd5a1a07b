// Scoring processor: reviews -> validate -> 14 features -> model -> ClickHouse (predictions,
// review_features, shadow_predictions) and the scored topic; bad records -> dead-letter topic.
//
// Exactly-once effect, per batch:
//   1. rows are inserted into ReplacingMergeTree tables keyed by review_id (a repeat replaces);
//   2. ScoredReviews, dead letters and the consumer offsets go out in ONE Kafka transaction, which
//      commits only after step 1 succeeded (1 runs while the records of 2 are being sent).
// A crash before the commit aborts the transaction (read_committed consumers never see its records)
// and the batch is redelivered; step 1 repeats harmlessly. So every acknowledged review is scored,
// each appears once in `predictions FINAL` and once on the scored topic for read_committed readers.
import type { Review } from '../../schemas/types.generated.js';
import { FEATURE_SET_VERSION, computeFeatures, type Features } from '../../models/features/features.js';
import type { Prediction } from '../../models/core/engine.js';
import { parseConfig } from '../shared/config.js';
import { reviewsConsumer, type Context, type Processor } from '../shared/context.js';
import type { EachBatchPayload, KafkaMessage, Message } from '../shared/kafka.js';
import { DEFAULT_LIMITS } from '../shared/review.js';
import { triageReviewBatch } from '../shared/triage.js';
import { scoringShape } from './config.js';
import { chunkBySize, featureRow, inShadowSample, predictionRow, scoredMessage, sentimentProbs } from './handler.js';
import { scoringMetrics } from './metrics.js';
import { ModelHolder } from './models.js';
import { followRegistry } from './registry-follower.js';

const NAME = 'scoring';
/** Bytes of keys and values per produce request, well under the broker's default 1 MB limit. */
const SEND_CHUNK_BYTES = 512 * 1024;

export const scoring: Processor = {
  name: NAME,
  async start(ctx: Context) {
    const cfg = parseConfig(scoringShape, ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    const m = scoringMetrics(ctx.metrics);
    const limits = { ...DEFAULT_LIMITS, maxTextBytes: cfg.SCORING_MAX_TEXT_BYTES };
    const models = await ModelHolder.start(cfg.SCORING_MODEL_DIR, cfg.SCORING_MODEL_NAME, { intraOpThreads: cfg.SCORING_INTRA_OP_THREADS, maxBatch: cfg.SCORING_ENGINE_BATCH }, log);
    const setInfo = (): void => {
      m.modelInfo.reset();
      const { production, shadow } = models.snapshot();
      m.modelInfo.set({ role: 'production', model_name: production.name, model_version: production.version }, 1);
      if (shadow) m.modelInfo.set({ role: 'shadow', model_name: shadow.name, model_version: shadow.version }, 1);
    };
    setInfo();
    models.onSwap(({ role }) => {
      m.reloads.inc({ role });
      setInfo();
    });
    const follower = await followRegistry(ctx, (e) => models.observe(e), log);

    const producer = ctx.kafka.producer({ transactionalId: `ulasan-scoring-${cfg.SCORING_INSTANCE_ID}-${ctx.topics.reviews}`, maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const encodeScored = await ctx.serde.encoderFor(ctx.topics.scored);
    const { consumer, healthy } = await reviewsConsumer(
      ctx,
      {
        groupId: cfg.SCORING_GROUP,
        sessionTimeout: cfg.SCORING_SESSION_TIMEOUT_MS,
        heartbeatInterval: Math.floor(cfg.SCORING_SESSION_TIMEOUT_MS / 5),
        // About 5,000 short reviews per partition batch: fewer transactions and ClickHouse parts per
        // review (1 MB measured 13 % faster than 256 KB in bench:scoring), still committed often.
        maxBytesPerPartition: cfg.SCORING_MAX_BATCH_BYTES,
      },
      log,
    );

    const score = async (reviews: Review[], messages: KafkaMessage[], partition: number) => {
      const { production, shadow } = models.snapshot();
      const endFeatures = m.stageSeconds.startTimer({ stage: 'features' });
      const features: Features[] = reviews.map((r) => computeFeatures(r.text));
      endFeatures();
      // clean_text is the compact model's input only when the model was built on this feature set.
      const cleaned = production.pkg.meta.feature_set_version === FEATURE_SET_VERSION ? features.map((f) => f.clean_text) : undefined;
      const t0 = performance.now();
      const preds = reviews.length ? await production.predict(reviews.map((r) => r.text), { cleaned }) : [];
      const inferMs = performance.now() - t0;
      m.inferenceSeconds.observe(inferMs / 1000);
      m.stageSeconds.observe({ stage: 'inference' }, inferMs / 1000);
      const shadowIdx = shadow ? reviews.map((r, i) => (inShadowSample(r.review_id, cfg.SCORING_SHADOW_SAMPLE) ? i : -1)).filter((i) => i >= 0) : [];
      const shadowPreds: Prediction[] = shadow && shadowIdx.length ? await shadow.predict(shadowIdx.map((i) => reviews[i]!.text), { cleaned: shadow.pkg.meta.feature_set_version === FEATURE_SET_VERSION ? shadowIdx.map((i) => features[i]!.clean_text) : undefined }) : [];
      const endRows = m.stageSeconds.startTimer({ stage: 'rows' });
      const now = Date.now();
      const perReviewMs = reviews.length ? inferMs / reviews.length : 0;
      const rows = reviews.map((r, i) => {
        const probs = sentimentProbs(preds[i]!, production.pkg.sentiments);
        const pos = { partition, offset: messages[i]!.offset };
        return { probs, pos, row: predictionRow(r, preds[i]!, probs, features[i]!, pos, now, perReviewMs) };
      });
      const shadowRows = shadowIdx.map((ri, k) => {
        const probs = sentimentProbs(shadowPreds[k]!, shadow!.pkg.sentiments);
        return predictionRow(reviews[ri]!, shadowPreds[k]!, probs, features[ri]!, { partition, offset: messages[ri]!.offset }, now, 0);
      });
      const scored: Message[] = rows.map(({ probs, pos }, i) => ({ key: reviews[i]!.review_id, value: encodeScored(scoredMessage(reviews[i]!, preds[i]!, probs, features[i]!, pos, now, false)) }));
      endRows();
      return { rows, shadowRows, features, scored, production, shadow, now };
    };

    const handleBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
      if (batch.messages.length === 0) return;
      const end = m.batchSeconds.startTimer();
      m.batchSize.observe(batch.messages.length);
      m.consumed.inc(batch.messages.length);
      const endTriage = m.stageSeconds.startTimer({ stage: 'triage' });
      const t = await triageReviewBatch(ctx.serde, ctx.topics, NAME, limits, { batch, isRunning, isStale });
      endTriage();
      if (t.handled === 0) return;
      // Heartbeats between the stages: a large batch on a loaded machine must not outlast the
      // session timeout (the member would be fenced and the batch retried forever).
      await heartbeat();
      const reviews = t.good.map((g) => g.review);
      const s = await score(reviews, t.good.map((g) => g.message), batch.partition);
      await heartbeat();

      // ClickHouse rows (idempotent by review_id: a redelivered batch replaces its own rows) are
      // written while Kafka receives the scored records and dead letters in an open transaction;
      // the offsets join that transaction and it commits only after both succeeded.
      const lastHandled = batch.messages[t.handled - 1]!.offset;
      // Sent in chunks: Kafka refuses a produce request over the broker's message.max.bytes, and a
      // large consumed batch (or large reviews) can exceed it once encoded as ScoredReviews.
      const sends = [
        ...chunkBySize(s.scored, SEND_CHUNK_BYTES).map((messages) => ({ topic: ctx.topics.scored, messages })),
        ...chunkBySize(t.dead, SEND_CHUNK_BYTES).map((messages) => ({ topic: ctx.topics.deadLetter, messages })),
      ];
      const tx = await producer.transaction();
      try {
        const [stored, sent] = await Promise.allSettled([
          (async () => {
            const done = m.stageSeconds.startTimer({ stage: 'clickhouse' });
            await ctx.store.insert('predictions', s.rows.map((r) => r.row));
            await ctx.store.insert('review_features', reviews.map((r, i) => featureRow(r, s.features[i]!, s.now)));
            if (s.shadowRows.length) await ctx.store.insert('shadow_predictions', s.shadowRows);
            done();
          })(),
          (async () => {
            const done = m.stageSeconds.startTimer({ stage: 'kafka_send' });
            for (const send of sends) await tx.send(send);
            done();
          })(),
        ]);
        if (stored.status === 'rejected') throw stored.reason;
        if (sent.status === 'rejected') throw sent.reason;
        await heartbeat();
        const endCommit = m.stageSeconds.startTimer({ stage: 'commit' });
        await tx.sendOffsets({
          consumerGroupId: cfg.SCORING_GROUP,
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(lastHandled) + 1n).toString() }] }],
        });
        await tx.commit();
        endCommit();
      } catch (err) {
        await tx.abort().catch(() => undefined);
        throw err; // kafkajs retries the batch from the last committed offset
      }
      for (const msg of batch.messages.slice(0, t.handled)) resolveOffset(msg.offset);
      await heartbeat();

      for (const code of t.codes) m.deadLettered.inc({ code });
      m.scored.inc({ model_version: s.production.version }, reviews.length);
      if (s.shadow && s.shadowRows.length) m.shadowScored.inc({ model_version: s.shadow.version }, s.shadowRows.length);
      for (const r of reviews) m.lagSeconds.observe(Math.max(0, (s.now - r.created_at) / 1000));
      const hw = Number(batch.highWatermark);
      m.consumerLag.set({ partition: String(batch.partition) }, Math.max(0, hw - Number(lastHandled) - 1));
      end();
    };

    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: handleBatch });
    log.info({ topic: ctx.topics.reviews, model: models.snapshot().production.version }, 'scoring consuming');
    return {
      healthy,
      models,
      async stop() {
        await consumer.disconnect();
        await producer.disconnect();
        await follower.stop();
        await models.close();
      },
    };
  },
};
