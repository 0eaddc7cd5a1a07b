// Dead-letter store: the dead-letter topic -> ClickHouse `dead_letters` (reason, code, origin), for
// the dashboards. The original bytes stay on the topic; offsets are committed after the insert.
import type { DeadLetter } from '../../schemas/types.generated.js';
import type { Context, Processor } from '../kit/context.js';
import { parseConfig, z } from '../../platform/config.js';
import { toDateTime64 } from '../../platform/time.js';
import { decodeFrom } from '../kit/kit.js';
import { sinkTopology, startSink } from '../kit/sink.js';

export function deadLetterRow(d: DeadLetter): Record<string, unknown> {
  return {
    origin_topic: d.origin_topic,
    origin_partition: d.origin_partition,
    origin_offset: d.origin_offset,
    processor: d.processor,
    error_code: d.error_code,
    reason: d.reason,
    failed_at: toDateTime64(d.failed_at, 'failed_at'),
    original_size: d.original_size ?? null,
    original_sha256: d.original_sha256 ?? null,
    original_truncated: d.original_truncated ?? false,
  };
}

const ROUTES = [{ input: 'deadLetter', table: 'dead_letters' }] as const;

export const deadLetterStore: Processor = {
  name: 'dead-letter-store',
  topology: sinkTopology([...ROUTES]),
  async start(ctx: Context) {
    const cfg = parseConfig(
      { DEAD_LETTER_STORE_GROUP: z.string().min(1).default('ulasan-dead-letter-store') },
      ctx.env,
    );
    const log = ctx.logger.child({ processor: 'dead-letter-store' });
    return startSink(
      ctx,
      'dead-letter-store',
      cfg.DEAD_LETTER_STORE_GROUP,
      [{ ...ROUTES[0], row: async (v) => deadLetterRow(await decodeFrom(ctx, 'deadLetter', v)) }],
      log,
    );
  },
};
