// Feedback store: the feedback topic (true labels from users and annotators) -> ClickHouse
// `feedback`, ReplacingMergeTree on review_id (the newest label wins). Offsets after the insert.
import type { Feedback } from '../../schemas/types.generated.js';
import type { Context, Processor } from '../shared/context.js';
import { parseConfig, z } from '../shared/config.js';
import { toDateTime64 } from '../review-store/handler.js';
import { counter } from '../shared/metrics.js';

const NAME = 'feedback-store';

export function feedbackRow(f: Feedback): Record<string, unknown> {
  return { review_id: f.review_id, true_label: f.true_label, source: f.source, user_hash: f.user_hash ?? null, comment: f.comment ?? null, given_at: toDateTime64(f.given_at) };
}

export const feedbackStore: Processor = {
  name: NAME,
  async start(ctx: Context) {
    const cfg = parseConfig({ FEEDBACK_STORE_GROUP: z.string().min(1).default('ulasan-feedback-store') }, ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    const stored = counter(ctx.metrics, { name: 'ulasan_feedback_stored_total', help: 'Feedback records stored' });
    const consumer = ctx.kafka.consumer({ groupId: cfg.FEEDBACK_STORE_GROUP });
    await consumer.connect();
    await consumer.subscribe({ topic: ctx.topics.feedback, fromBeginning: true });
    let healthy = true;
    consumer.on(consumer.events.CRASH, () => (healthy = false));
    await consumer.run({
      eachBatch: async ({ batch, heartbeat }) => {
        const rows: Record<string, unknown>[] = [];
        for (const m of batch.messages) {
          try {
            rows.push(feedbackRow((await ctx.serde.decode<Feedback>(m.value, ctx.topics.feedback)).value));
          } catch (err) {
            log.warn({ err, offset: m.offset }, 'skipping unreadable feedback');
          }
        }
        await ctx.store.insert('feedback', rows);
        stored.inc(rows.length);
        await heartbeat();
      },
    });
    return { healthy: () => healthy, stop: () => consumer.disconnect() };
  },
};
