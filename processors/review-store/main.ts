// Review store: reviews topic -> ClickHouse `reviews`, bad records -> dead-letter topic.
// At-least-once delivery made exactly-once in effect: offsets are committed only after the dead
// letters are acknowledged and the insert succeeded; a redelivered batch re-inserts the same
// review_ids, which ReplacingMergeTree collapses (queries use FINAL).
import { parseConfig } from '../shared/config.js';
import { deadLetter } from '../shared/dead-letter.js';
import { SerdeError } from '../shared/errors.js';
import type { EachBatchPayload, Message } from '../shared/kafka.js';
import { DEFAULT_LIMITS, validateReview, type RejectCode } from '../shared/review.js';
import type { Context, Processor } from '../shared/context.js';
import { reviewStoreShape } from './config.js';
import { reviewRow } from './handler.js';
import { reviewStoreMetrics } from './metrics.js';

const NAME = 'review-store';

function serdeCode(err: SerdeError): RejectCode {
  if (err.code === 'SCHEMA_NOT_FOUND') return 'UNKNOWN_SCHEMA';
  if (/not Confluent-framed/.test(err.message)) return 'NOT_AVRO';
  if (/is not a version of/.test(err.message)) return 'WRONG_SCHEMA';
  return 'DECODE_FAILED';
}

export const reviewStore: Processor = {
  name: NAME,
  async start(ctx: Context) {
    const cfg = parseConfig(reviewStoreShape);
    const limits = { ...DEFAULT_LIMITS, maxTextBytes: cfg.REVIEW_MAX_TEXT_BYTES };
    const m = reviewStoreMetrics(ctx.metrics);
    const log = ctx.logger.child({ processor: NAME });
    const producer = ctx.kafka.producer();
    const consumer = ctx.kafka.consumer({ groupId: cfg.REVIEW_STORE_GROUP });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: ctx.topics.reviews, fromBeginning: true });
    let healthy = true;
    consumer.on(consumer.events.CRASH, (e) => {
      healthy = false;
      log.error({ err: e.payload.error }, 'consumer crashed');
    });

    const handleBatch = async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> => {
      const end = m.batchSeconds.startTimer();
      const rows: Record<string, unknown>[] = [];
      const dead: Message[] = [];
      const seen = new Set<string>();
      for (const msg of batch.messages) {
        if (!isRunning() || isStale()) break;
        m.consumed.inc();
        const origin = { topic: batch.topic, partition: batch.partition, offset: msg.offset, key: msg.key, value: msg.value };
        let code: RejectCode | null = null;
        let reason = '';
        try {
          const { value } = await ctx.serde.decode(msg.value, ctx.topics.reviews);
          const v = validateReview(value, Date.now(), limits);
          if (!v.ok) {
            code = v.code;
            reason = v.reason;
          } else if (seen.has(v.review.review_id)) {
            // Same id twice in one batch: keep the first; later redeliveries are absorbed by the table.
            code = 'DUPLICATE_REVIEW';
            reason = `review_id ${v.review.review_id} repeated within one batch`;
          } else {
            seen.add(v.review.review_id);
            rows.push(reviewRow(v.review, batch.partition, msg.offset));
          }
        } catch (err) {
          if (!(err instanceof SerdeError)) throw err; // infrastructure failure: retry the batch
          code = serdeCode(err);
          reason = err.message;
        }
        if (code) {
          const dl = deadLetter(origin, code, reason, NAME);
          dead.push({ key: msg.key, value: await ctx.serde.encode(ctx.topics.deadLetter, dl.value), headers: dl.headers });
          m.deadLettered.inc({ code });
        }
      }
      if (dead.length) await producer.send({ topic: ctx.topics.deadLetter, messages: dead, acks: -1 });
      await ctx.store.insert('reviews', rows);
      m.stored.inc(rows.length);
      // Messages are handled in order, so the first rows+dead ones are done; a stale or stopping
      // batch may have been cut short and its rest is redelivered.
      const handled = rows.length + dead.length;
      for (const msg of batch.messages.slice(0, handled)) resolveOffset(msg.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      end();
    };

    await consumer.run({ autoCommit: true, autoCommitThreshold: 1, eachBatchAutoResolve: false, eachBatch: handleBatch });
    log.info({ topic: ctx.topics.reviews }, 'review store consuming');
    return {
      healthy: () => healthy,
      async stop() {
        await consumer.disconnect();
        await producer.disconnect();
      },
    };
  },
};
