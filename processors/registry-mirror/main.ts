// Registry mirror: the registry topic (compacted, newest entry per version and stage) and the
// training-runs topic -> ClickHouse model_versions / training_runs, which keep the full history.
// Offsets are committed after the insert; both tables are ReplacingMergeTree on the whole event
// key, so a redelivered batch changes nothing.
import type { ModelVersionEvent, TrainingRun } from '../../schemas/types.generated.js';
import type { Context, Processor } from '../shared/context.js';
import { parseConfig, z } from '../shared/config.js';
import { startSink } from '../shared/sink.js';
import { modelVersionRow, trainingRunRow } from './handler.js';

const NAME = 'registry-mirror';

export const registryMirror: Processor = {
  name: NAME,
  async start(ctx: Context) {
    const cfg = parseConfig({ REGISTRY_MIRROR_GROUP: z.string().min(1).default('ulasan-registry-mirror') }, ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    return startSink(
      ctx,
      cfg.REGISTRY_MIRROR_GROUP,
      [
        {
          topic: ctx.topics.registry,
          table: 'model_versions',
          row: async (v) => modelVersionRow((await ctx.serde.decode<ModelVersionEvent>(v, ctx.topics.registry)).value),
        },
        {
          topic: ctx.topics.trainingRuns,
          table: 'training_runs',
          row: async (v) => trainingRunRow((await ctx.serde.decode<TrainingRun>(v, ctx.topics.trainingRuns)).value),
        },
      ],
      log,
    );
  },
};
