// Reads a topic from its beginning to the end offsets it has at the call (state restore, CLIs).
import { randomUUID } from 'node:crypto';
import type { KafkaClient, KafkaMessage } from './kafka.js';

/**
 * Reads a topic from the beginning up to the end offsets it has now. On a transactional topic the
 * last offsets can be commit markers, which are never delivered as messages: once messages flow, a
 * pause of `idleMs` ends the read; before the first message (the group join can take seconds) only
 * `firstMessageMs` does.
 */
export async function readToEnd(
  kafka: KafkaClient,
  topic: string,
  onMessage: (value: Buffer | null, at: { partition: number; message: KafkaMessage }) => Promise<void>,
  idleMs = 1500,
  firstMessageMs = 15_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const pending = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  if (pending.size === 0) return;
  const consumer = kafka.consumer({ groupId: `ulasan-reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const began = Date.now();
  let lastActivity = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const now = Date.now();
      if ((lastActivity > 0 && now - lastActivity >= idleMs) || (lastActivity === 0 && now - began >= firstMessageMs)) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          lastActivity = Date.now();
          await onMessage(message.value, { partition, message });
          const high = pending.get(partition);
          if (high !== undefined && Number(message.offset) + 1 >= high) {
            pending.delete(partition);
            if (pending.size === 0) {
              clearInterval(timer);
              resolve();
            }
          }
        },
      })
      .catch((err: unknown) => {
        clearInterval(timer);
        reject(err);
      });
  });
  await consumer.disconnect();
}
