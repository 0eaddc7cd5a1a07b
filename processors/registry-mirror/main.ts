// Registry mirror: the registry topic (compacted, newest entry per version and stage) and the
// training-runs topic -> ClickHouse model_versions / training_runs, which keep the full history.
// Offsets are committed after the insert; both tables are ReplacingMergeTree on the whole event
// key, so a redelivered batch changes nothing.
import type { ModelVersionEvent, TrainingRun } from '../../schemas/types.generated.js';
import type { Context, Processor } from '../shared/context.js';
import type { EachBatchPayload } from '../shared/kafka.js';
import { parseConfig, z } from '../shared/config.js';
import { modelVersionRow, trainingRunRow } from './handler.js';

const NAME = 'registry-mirror';

export const registryMirror: Processor = {
  name: NAME,
  async start(ctx: Context) {
    const cfg = parseConfig({ REGISTRY_MIRROR_GROUP: z.string().min(1).default('ulasan-registry-mirror') }, ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    const consumer = ctx.kafka.consumer({ groupId: cfg.REGISTRY_MIRROR_GROUP });
    await consumer.connect();
    await consumer.subscribe({ topics: [ctx.topics.registry, ctx.topics.trainingRuns], fromBeginning: true });
    let healthy = true;
    consumer.on(consumer.events.CRASH, () => (healthy = false));
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }: EachBatchPayload) => {
        const rows: Record<string, unknown>[] = [];
        for (const m of batch.messages) {
          try {
            if (batch.topic === ctx.topics.registry) rows.push(modelVersionRow((await ctx.serde.decode<ModelVersionEvent>(m.value, ctx.topics.registry)).value));
            else rows.push(trainingRunRow((await ctx.serde.decode<TrainingRun>(m.value, ctx.topics.trainingRuns)).value));
          } catch (err) {
            log.warn({ err, topic: batch.topic, offset: m.offset }, 'skipping unreadable event');
          }
        }
        await ctx.store.insert(batch.topic === ctx.topics.registry ? 'model_versions' : 'training_runs', rows);
        await heartbeat();
      },
    });
    return { healthy: () => healthy, stop: () => consumer.disconnect() };
  },
};
