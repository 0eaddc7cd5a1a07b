// Dead-letter store: the dead-letter topic -> ClickHouse `dead_letters` (reason, code, origin), for
// the dashboards. The original bytes stay on the topic; offsets are committed after the insert.
import type { DeadLetter } from '../../schemas/types.generated.js';
import type { Context, Processor } from '../shared/context.js';
import { parseConfig, z } from '../shared/config.js';
import { toDateTime64 } from '../review-store/handler.js';

export function deadLetterRow(d: DeadLetter): Record<string, unknown> {
  return { origin_topic: d.origin_topic, origin_partition: d.origin_partition, origin_offset: d.origin_offset, processor: d.processor, error_code: d.error_code, reason: d.reason, failed_at: toDateTime64(d.failed_at) };
}

export const deadLetterStore: Processor = {
  name: 'dead-letter-store',
  async start(ctx: Context) {
    const cfg = parseConfig({ DEAD_LETTER_STORE_GROUP: z.string().min(1).default('ulasan-dead-letter-store') }, ctx.env);
    const log = ctx.logger.child({ processor: 'dead-letter-store' });
    const consumer = ctx.kafka.consumer({ groupId: cfg.DEAD_LETTER_STORE_GROUP });
    await consumer.connect();
    await consumer.subscribe({ topic: ctx.topics.deadLetter, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch, heartbeat }) => {
        const rows: Record<string, unknown>[] = [];
        for (const m of batch.messages) {
          try {
            rows.push(deadLetterRow((await ctx.serde.decode<DeadLetter>(m.value, ctx.topics.deadLetter)).value));
          } catch (err) {
            log.warn({ err, offset: m.offset }, 'skipping unreadable dead letter');
          }
        }
        await ctx.store.insert('dead_letters', rows);
        await heartbeat();
      },
    });
    return { healthy: () => true, stop: () => consumer.disconnect() };
  },
};
