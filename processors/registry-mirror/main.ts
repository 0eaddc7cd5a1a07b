// Registry mirror: the registry topic (compacted, newest entry per version and stage), the
// training-runs topic and the admin audit topic -> ClickHouse model_versions / training_runs /
// admin_audit, which keep the full history.
// Offsets are committed after the insert; both tables are ReplacingMergeTree on the whole event
// key, so a redelivered batch changes nothing.
import type { Context, Processor } from '../kit/context.js';
import { parseConfig, z } from '../../platform/config.js';
import { decodeFrom } from '../kit/kit.js';
import { sinkTopology, startSink } from '../kit/sink.js';
import { adminActionRow, modelVersionRow, trainingRunRow } from './handler.js';

const NAME = 'registry-mirror';

const ROUTES = [
  { input: 'registry', table: 'model_versions' },
  { input: 'trainingRuns', table: 'training_runs' },
  { input: 'audit', table: 'admin_audit' },
] as const;

export const registryMirror: Processor = {
  name: NAME,
  topology: sinkTopology([...ROUTES]),
  async start(ctx: Context) {
    const cfg = parseConfig({ REGISTRY_MIRROR_GROUP: z.string().min(1).default('ulasan-registry-mirror') }, ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    return startSink(
      ctx,
      NAME,
      cfg.REGISTRY_MIRROR_GROUP,
      [
        { ...ROUTES[0], row: async (v) => modelVersionRow(await decodeFrom(ctx, 'registry', v)) },
        { ...ROUTES[1], row: async (v) => trainingRunRow(await decodeFrom(ctx, 'trainingRuns', v)) },
        { ...ROUTES[2], row: async (v) => adminActionRow(await decodeFrom(ctx, 'audit', v)) },
      ],
      log,
    );
  },
};
