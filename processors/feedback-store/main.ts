// Feedback store: the feedback topic (true labels from users and annotators) -> ClickHouse
// `feedback`, ReplacingMergeTree on (review_id, submitter): the newest label of each submitter wins
// (the submitter is the hashed gateway token, or the source when the feedback came some other way).
// Offsets after the insert.
import type { Feedback } from '../../schemas/types.generated.js';
import type { Context, Processor } from '../kit/context.js';
import { parseConfig, z } from '../../platform/config.js';
import { toDateTime64 } from '../../platform/time.js';
import { counter } from '../../platform/metrics.js';
import { decodeFrom } from '../kit/kit.js';
import { sinkTopology, startSink } from '../kit/sink.js';

const NAME = 'feedback-store';

export function feedbackRow(f: Feedback): Record<string, unknown> {
  return {
    review_id: f.review_id,
    true_label: f.true_label,
    source: f.source,
    user_hash: f.user_hash ?? null,
    submitter: f.user_hash ?? `source:${f.source}`,
    comment: f.comment ?? null,
    given_at: toDateTime64(f.given_at, 'given_at'),
  };
}

const ROUTES = [{ input: 'feedback', table: 'feedback' }] as const;

export const feedbackStore: Processor = {
  name: NAME,
  topology: sinkTopology([...ROUTES]),
  async start(ctx: Context) {
    const cfg = parseConfig({ FEEDBACK_STORE_GROUP: z.string().min(1).default('ulasan-feedback-store') }, ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    const stored = counter(ctx.metrics, { name: 'ulasan_feedback_stored_total', help: 'Feedback records stored' });
    return startSink(
      ctx,
      NAME,
      cfg.FEEDBACK_STORE_GROUP,
      [{ ...ROUTES[0], row: async (v) => feedbackRow(await decodeFrom(ctx, 'feedback', v)) }],
      log,
      (_t, n) => stored.inc(n),
    );
  },
};
