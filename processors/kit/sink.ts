// A topic-to-table sink: consume Avro records, turn each into a ClickHouse row, insert per batch,
// then commit. The feedback, dead-letter and registry mirrors are all this shape.
//
// A record that cannot become a row (undecodable, a tombstone, a timestamp ClickHouse cannot hold)
// is dead-lettered with its code; it never fails the insert of the good rows around it. Outages
// (registry, ClickHouse, Kafka) are waited out in place, so nothing is committed past unwritten
// rows and no valid record is dead-lettered because a dependency was down.
import type { Context } from './context.js';
import type { EachBatchPayload, Message } from '../../platform/kafka/kafka.js';
import { consume, DeadLetters, Health, outageWaiter, recordFailure, type Topology } from './kit.js';
import type { TopicKey } from '../../platform/kafka/topics.js';
import type { Logger } from '../../platform/logger.js';

export interface SinkRoute {
  input: TopicKey;
  table: string;
  row: (value: Buffer | null) => Promise<Record<string, unknown>>;
}

/** The topology of a sink over these routes: its inputs, its tables, commits after the store. */
export function sinkTopology(routes: Pick<SinkRoute, 'input' | 'table'>[]): Topology {
  return {
    inputs: routes.map((r) => r.input),
    outputs: ['deadLetter'],
    tables: routes.map((r) => r.table),
    commit: 'after-store',
    punctuators: [],
  };
}

export async function startSink(
  ctx: Context,
  processor: string,
  groupId: string,
  routes: SinkRoute[],
  log: Logger,
  onStored?: (table: string, n: number) => void,
) {
  const health = new Health(ctx.config.ULASAN_STALL_MS);
  const wait = outageWaiter(ctx, processor, health, log);
  const producer = ctx.kafka.producer();
  await producer.connect();
  const deadLetters = new DeadLetters(ctx, processor, producer);

  const eachBatch = async ({ batch, heartbeat, isRunning }: EachBatchPayload): Promise<void> => {
    const route = routes.find((r) => ctx.topics[r.input] === batch.topic)!;
    const waitOpts = { heartbeat, keepGoing: isRunning };
    const rows: Record<string, unknown>[] = [];
    const dead: Message[] = [];
    for (const m of batch.messages) {
      try {
        rows.push(await wait('decode', () => route.row(m.value), waitOpts));
      } catch (err) {
        const origin = { topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value };
        dead.push(await deadLetters.message(origin, recordFailure(err)));
      }
    }
    await wait(`insert ${route.table}`, () => ctx.store.insert(route.table, rows), waitOpts);
    await deadLetters.send(dead, { log, heartbeat, keepGoing: isRunning });
    onStored?.(route.table, rows.length);
    await heartbeat();
  };

  const consumer = await consume(ctx, { groupId, inputs: routes.map((r) => r.input), health, log, run: { eachBatch } });
  return {
    healthy: () => health.healthy(),
    health,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
