// A topic-to-table sink: consume Avro records, turn each into a ClickHouse row, insert per batch,
// then commit (kafkajs resolves the batch after eachBatch returns). Unreadable records are logged
// and skipped: they were already on a topic no processor of ours writes badly. The feedback,
// dead-letter and registry mirrors are all this shape.
import type { Context } from './context.js';
import type { Logger } from './logger.js';

export interface SinkRoute {
  topic: string;
  table: string;
  row: (value: Buffer | null) => Promise<Record<string, unknown>>;
}

export async function startSink(ctx: Context, groupId: string, routes: SinkRoute[], log: Logger, onStored?: (table: string, n: number) => void) {
  const consumer = ctx.kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: routes.map((r) => r.topic), fromBeginning: true });
  let healthy = true;
  consumer.on(consumer.events.CRASH, () => (healthy = false));
  await consumer.run({
    eachBatch: async ({ batch, heartbeat }) => {
      const route = routes.find((r) => r.topic === batch.topic)!;
      const rows: Record<string, unknown>[] = [];
      for (const m of batch.messages) {
        try {
          rows.push(await route.row(m.value));
        } catch (err) {
          log.warn({ err, topic: batch.topic, offset: m.offset }, 'skipping unreadable record');
        }
      }
      await ctx.store.insert(route.table, rows);
      onStored?.(route.table, rows.length);
      await heartbeat();
    },
  });
  return { healthy: () => healthy, stop: () => consumer.disconnect() };
}
