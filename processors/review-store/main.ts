// Review store: reviews topic -> ClickHouse `reviews`, bad records -> dead-letter topic.
// At-least-once delivery made exactly-once in effect: offsets are committed only after the dead
// letters are acknowledged and the insert succeeded; a redelivered batch re-inserts the same
// review_ids, which ReplacingMergeTree collapses (queries use FINAL).
import { parseConfig } from '../../platform/config.js';
import { chunkBySize, SEND_CHUNK_BYTES, type EachBatchPayload } from '../../platform/kafka/kafka.js';
import { DEFAULT_LIMITS } from '../kit/review.js';
import { knownReviewsQuery, toKnown, type KnownReviews } from '../kit/review-identity.js';
import { triageReviewBatch } from '../kit/triage.js';
import type { Context, Processor } from '../kit/context.js';
import { consume, Health, outageWaiter } from '../kit/kit.js';
import { reviewStoreShape } from './config.js';
import { reviewRow } from './handler.js';
import { reviewStoreMetrics } from './metrics.js';

const NAME = 'review-store';

export const reviewStore: Processor = {
  name: NAME,
  topology: {
    inputs: ['reviews'],
    outputs: ['deadLetter'],
    tables: ['reviews'],
    commit: 'after-store',
    punctuators: [],
  },
  async start(ctx: Context) {
    const cfg = parseConfig(reviewStoreShape, ctx.env);
    const limits = { ...DEFAULT_LIMITS, maxTextBytes: cfg.REVIEW_MAX_TEXT_BYTES };
    const m = reviewStoreMetrics(ctx.metrics);
    const log = ctx.logger.child({ processor: NAME });
    const health = new Health(ctx.config.ULASAN_STALL_MS);
    const wait = outageWaiter(ctx, NAME, health, log);
    const producer = ctx.kafka.producer();
    await producer.connect();

    // What the reviews table holds for a batch's ids: edits are stored, conflicts dead-lettered.
    const knownSql = knownReviewsQuery(`${ctx.store.database}.reviews`, 'lower(hex(SHA256(text)))');
    const known: KnownReviews = async (ids) => toKnown(await ctx.store.query(knownSql, { ids }));

    const eachBatch = async (p: EachBatchPayload): Promise<void> => {
      const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = p;
      const waitOpts = { heartbeat, keepGoing: () => isRunning() && !isStale() };
      const end = m.batchSeconds.startTimer();
      m.consumed.inc(batch.messages.length);
      const t = await wait('decode', () => triageReviewBatch(ctx.serde, ctx.topics, NAME, limits, p, known), waitOpts);
      for (const code of t.codes) m.deadLettered.inc({ code });
      for (const messages of chunkBySize(t.dead, SEND_CHUNK_BYTES)) {
        await wait(
          'dead-letter send',
          () => producer.send({ topic: ctx.topics.deadLetter, messages, acks: -1 }),
          waitOpts,
        );
      }
      const rows = t.good.map((g) => reviewRow(g.review, batch.partition, g.message.offset));
      await wait('insert reviews', () => ctx.store.insert('reviews', rows), waitOpts);
      m.stored.inc(t.good.length);
      // Messages are handled in order; a stale or stopping batch may have been cut short and its
      // rest is redelivered.
      for (const msg of batch.messages.slice(0, t.handled)) resolveOffset(msg.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      end();
    };

    const consumer = await consume(ctx, {
      groupId: cfg.REVIEW_STORE_GROUP,
      inputs: reviewStore.topology.inputs,
      health,
      log,
      run: { autoCommit: true, autoCommitThreshold: 1, eachBatchAutoResolve: false, eachBatch },
    });
    log.info({ topic: ctx.topics.reviews }, 'review store consuming');
    return {
      healthy: () => health.healthy(),
      async stop() {
        await consumer.disconnect();
        await producer.disconnect();
      },
    };
  },
};
