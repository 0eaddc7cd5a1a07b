// Follows the compacted registry topic from its beginning on every start (a throwaway consumer
// group: the stage of each version is rebuilt from the log, nothing is committed).
import { randomUUID } from 'node:crypto';
import type { ModelVersionEvent } from '../../schemas/types.generated.js';
import type { Context } from '../shared/context.js';
import type { Logger } from '../shared/logger.js';

export async function followRegistry(ctx: Context, onEvent: (e: ModelVersionEvent) => void, log: Logger): Promise<{ stop(): Promise<void> }> {
  const consumer = ctx.kafka.consumer({ groupId: `ulasan-registry-follower-${randomUUID()}`, sessionTimeout: 30_000 });
  await consumer.connect();
  await consumer.subscribe({ topic: ctx.topics.registry, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      try {
        const { value } = await ctx.serde.decode<ModelVersionEvent>(message.value, ctx.topics.registry);
        onEvent(value);
      } catch (err) {
        log.warn({ err, offset: message.offset }, 'skipping unreadable registry event');
      }
    },
  });
  return { stop: () => consumer.disconnect() };
}
